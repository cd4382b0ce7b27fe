import Foundation
import Testing
@testable import TTSEngine

/// Several engines in one process (several models served at once) share its cores: each admits
/// on what the others' open streams leave, and corrects its live estimate from the process's CPU
/// time less the others' predicted work. Costs as in `CapacityModelTests` (24 streams alone).
@Suite struct CapacityGroupTests {
    static func monitor(group: CapacityGroup, cpu: CapacityAdmissionTests.FakeCPU) -> CapacityMonitor {
        let monitor = CapacityMonitor(margin: 0.2, consumers: 2, limit: 256, group: group, cores: 2, processCPU: cpu.clock,
                                      machineBusy: { nil })
        monitor.set(costs: CapacityModelTests.costs)
        return monitor
    }

    @Test func coresSharedWithAnotherEngineLeaveFewer() {
        var model = CapacityModelTests.model()
        model.sharedCores = 1
        #expect(model.capacity == 11)  // as on one core: 4.5 + 5.1·N ≤ 64 ms
    }

    @Test func anotherEnginesOpenStreamsLowerTheCapacity() {
        let (group, cpu) = (CapacityGroup(), CapacityAdmissionTests.FakeCPU())
        let english = Self.monitor(group: group, cpu: cpu)
        let french = Self.monitor(group: group, cpu: cpu)
        #expect(english.streams == 24 && french.streams == 24)
        // 10 French streams: 4.5 + 10 ms of steps and 2 · 5 · 4.1 ms of decoding per 80 ms, 0.694 cores.
        french.publish(active: 10)
        #expect(abs(group.busyCores - 0.0555 / 0.08) < 1e-9)
        // English gets 1.306 cores: 4.5 + 5.1·N ≤ 83.6 ms, N ≤ 15.
        #expect(english.streams == 15)
        #expect(english.snapshot(active: 0).streams == 15)
        #expect(french.streams == 24)  // its own streams are not "others"
        french.publish(active: 0)
        #expect(english.streams == 24)
    }

    @Test func theOtherEnginesWorkIsNotCountedAsOurs() {
        let (group, cpu) = (CapacityGroup(), CapacityAdmissionTests.FakeCPU())
        let english = Self.monitor(group: group, cpu: cpu)
        let french = Self.monitor(group: group, cpu: cpu)
        english.tick(now: 0)
        for _ in 0..<50 {  // each engine: 50 steps of 10 streams and their frames, as predicted
            for monitor in [english, french] {
                monitor.recordStep(batch: 10)
                monitor.recordDecode(frames: 5)
                monitor.recordDecode(frames: 5)
            }
        }
        cpu.advance(2 * 50 * 0.0555)  // the process measured both engines' work
        english.tick(now: 1)
        #expect(abs((english.current?.scale ?? 0) - 1) < 1e-9)  // English's own share was as predicted
        // Alone, the same window would read as twice the predicted work.
        let alone = CapacityAdmissionTests.monitor(cpu: cpu)
        alone.set(costs: CapacityModelTests.costs)
        alone.tick(now: 0)
        for _ in 0..<50 {
            alone.recordStep(batch: 10)
            alone.recordDecode(frames: 10)
        }
        cpu.advance(2 * 50 * 0.0555)
        alone.tick(now: 1)
        #expect((alone.current?.scale ?? 1) > 1)
    }
}
