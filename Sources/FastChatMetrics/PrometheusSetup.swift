import Prometheus

extension PrometheusMetricsFactory {
    /// A factory on `registry` with buckets that suit FastChat's histograms (the library's defaults start at 5 ms
    /// and at 5, too coarse for commits of a millisecond and batches of one item).
    public static func fastChat(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        let fine: [Duration] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        factory.defaultDurationHistogramBuckets = fine
        // The one value histogram is the commit batch size (1 to the largest batch, 512 by default).
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        return factory
    }
}
