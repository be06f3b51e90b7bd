import ArgumentParser

/// `--dead-after`, shared by the node and the balancer: both must judge a heartbeat by the same age.
struct DeadAfterOption: ParsableArguments {
    @Option(
        name: .customLong("dead-after"),
        help: "Seconds without a heartbeat after which a node is taken for dead (its users may sign in elsewhere).")
    var seconds: Double = 3

    func validate() throws {
        guard seconds.isFinite, (1...86_400).contains(seconds) else {
            throw ValidationError("--dead-after must be between 1 and 86400 seconds.")
        }
    }

    var duration: Duration { .milliseconds(Int((seconds * 1000).rounded())) }
}
