import ArgumentParser
import Logging

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Logs go to stderr, so stdout stays for what scripts read.
private let logToStandardError: Void = LoggingSystem.bootstrap(StreamLogHandler.standardError)

func makeLogger(label: String, level: Logger.Level) -> Logger {
    logToStandardError
    var logger = Logger(label: label)
    logger.logLevel = level
    return logger
}
