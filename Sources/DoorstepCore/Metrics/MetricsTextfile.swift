import Glibc
import Logging
import ServiceLifecycle

/// Writes `metrics` to `[metrics] textfile` every `interval`, atomically (node_exporter never
/// reads half a file), for its textfile collector: Prometheus gets the figures while the daemon
/// opens no port. Follows reloads: the file and interval are read from the config each round.
struct MetricsTextfile: Service {
    let runtime: DaemonRuntime

    func run() async throws {
        // A graceful shutdown cancels the loop, waking it from its sleep.
        try? await cancelWhenGracefulShutdown { await loop() }
    }

    private func loop() async {
        var lastProblem: String?
        while !Task.isCancelled {
            let settings = runtime.config.metrics
            if !settings.textfile.isEmpty {
                let text = await runtime.metrics.exposition(runtime: runtime)
                do {
                    // 0644: node_exporter runs as another user; the figures hold no personal data.
                    try FileSystem.writeAtomically(settings.textfile, Array(text.utf8), mode: 0o644)
                    if lastProblem != nil {
                        runtime.logger.info("metrics textfile written again", metadata: ["path": "\(settings.textfile)"])
                    }
                    lastProblem = nil
                } catch {
                    // Logged once per distinct problem, not every interval.
                    let problem = "\(error)"
                    if problem != lastProblem {
                        runtime.logger.warning("cannot write the metrics textfile: \(problem)", metadata: ["path": "\(settings.textfile)"])
                    }
                    lastProblem = problem
                }
            }
            try? await Task.sleep(for: .seconds(settings.intervalSeconds))
        }
    }
}
