import Dispatch
import Foundation
import Testing
@testable import TTSEngine
@testable import TTSServer

/// `/ready` does not wait for the start-up capacity probe (issue 24): the service is ready with
/// the provisional estimate (one stream) while the probe runs, and the measured capacity
/// replaces it once the probe lands.
@Suite struct CapacityProbeServiceTests {
    @Test func readyAnswersWhileTheProbeRuns() throws {
        let fixture = try EngineServiceFixture(maxStreams: 4) { $0.metricsAccess = .open }
        defer { fixture.stop() }
        let gate = DispatchSemaphore(value: 0)
        let landed = DispatchSemaphore(value: 0)
        fixture.engine.measureCapacityInBackground(provisionalStreams: 1, probe: { _ in
            gate.wait()
            // 5 ms a stream: more than max_streams fit even on the quarter of the cores the live
            // correction leaves at worst (and too little work for it to rescale).
            return CapacityModel.Costs(stepBase: 0.0, stepPerStream: 0.005, promptRowSeconds: 0, promptRowsPerFrame: 0,
                                       decodeBase: 0, decodePerStream: 0.0001)
        }, completion: { _, _ in landed.signal() })
        #expect(try httpRequest(port: fixture.port, path: "/ready").status == 200)  // the probe still waits
        #expect(metricValue(try httpRequest(port: fixture.port, path: "/metrics").text, "pocket_tts_capacity_streams") == 1)
        let first = try fixture.connect()
        try first.config()
        _ = try first.expectAccepted()
        #expect(try httpRequest(port: fixture.port, path: "/ready").status == 503)  // one stream: full
        let second = try fixture.connect()
        try second.config()
        guard case .error("at_capacity", _) = try second.next() else { Issue.record("no at_capacity"); return }

        gate.signal()
        #expect(landed.wait(timeout: .now() + 60) == .success)
        #expect(fixture.engine.capacity.isMeasured && fixture.engine.capacity.streams == 4)
        #expect(try httpRequest(port: fixture.port, path: "/ready").status == 200)
        let third = try fixture.connect()
        try third.config()
        _ = try third.expectAccepted()
    }
}
