import Foundation

/// A named POSIX thread that can be joined (Foundation's `Thread` cannot).
final class PipelineThread: @unchecked Sendable {  // `handle` is written once, in init
    private final class Body {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    #if canImport(Darwin)
    private var handle: pthread_t?
    #else
    private var handle = pthread_t()
    #endif
    private var joined = false

    /// Starts `body` on a new thread named `name` (at most 15 characters show on Linux).
    init(name: String, body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        let result = pthread_create(&handle, nil, { context in
            #if canImport(Darwin)
            let body = Unmanaged<Body>.fromOpaque(context).takeRetainedValue()
            #else
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            #endif
            Thread.current.name = body.name  // the OS thread name too (debuggers, top -H)
            body.run()
            return nil
        }, context)
        precondition(result == 0, "PipelineThread: pthread_create failed (\(result))")
    }

    /// Waits for the thread to end. Call once, from another thread.
    func join() {
        precondition(!joined, "PipelineThread: joined twice")
        joined = true
        #if canImport(Darwin)
        pthread_join(handle!, nil)
        #else
        pthread_join(handle, nil)
        #endif
    }

    /// True when called on this thread.
    var isCurrent: Bool {
        #if canImport(Darwin)
        pthread_equal(pthread_self(), handle!) != 0
        #else
        pthread_equal(pthread_self(), handle) != 0
        #endif
    }
}
