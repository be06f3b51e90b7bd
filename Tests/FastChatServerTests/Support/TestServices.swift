@testable import FastChatServer
import FastChatStore
import Logging
import Metrics

extension NodeServices {
    /// A node's services over `store`, named `nodeName`, with no TLS and no metrics, before anything is served.
    static func forTesting(_ store: SQLiteStore, nodeName: String = "here") throws -> NodeServices {
        try NodeServices(
            configuration: ServerConfiguration(nodeName: nodeName, tls: nil), store: store,
            metrics: NodeMetrics(factory: NOOPMetricsHandler.instance), logger: Logger(label: "test"))
    }
}
