import Foundation

/// Runs `body` to completion from libFuzzer's synchronous callback. The fuzz entry point is called on the main
/// thread with no executor of its own, so it waits on a semaphore while the work runs on the cooperative pool, as a
/// child task of the process's group (`FuzzTasks`).
public func blocking<T>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    FuzzTasks.shared.run {
        do {
            box.result = .success(try await body())
        } catch {
            box.result = .failure(error)
        }
        done.signal()
    }
    done.wait()
    return box.result!
}

/// Written by the task before the semaphore is signalled and read after the wait, so never at the same time.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
