/// The report as a person reads it in a terminal or a CI log: outcome counts, fuel and wall-time
/// percentiles with their change, the first differing inputs, the regressions and a verdict.
public enum ReplayReportText {
    /// How many differing inputs the text shows (`--json` has them all).
    public static let shownDifferences = 20

    /// The report as lines of text, with a trailing newline.
    public static func render(_ report: ReplayReport) -> String {
        var lines: [String] = []
        let replayed = "replayed \(report.total) \(report.unit.noun(report.total)) through \(report.candidate.module)"
        if let baseline = report.baseline {
            lines.append("\(replayed) (candidate) and \(baseline.module) (baseline)")
        } else {
            lines.append(replayed)
        }
        lines.append("")
        lines += outcomeTable(report)
        lines.append("")
        lines += percentileTable(
            "fuel", report.candidate.fuel, report.baseline?.fuel, compared: report.baseline != nil,
            format: ReplayFormat.count,
            missing: "fuel: not metered")
        lines.append("")
        lines += percentileTable(
            "wall time", report.candidate.latency, report.baseline?.latency, compared: report.baseline != nil,
            format: ReplayFormat.duration,
            missing: "wall time: nothing replayed")
        guard report.baseline != nil else { return lines.joined(separator: "\n") + "\n" }
        lines.append("")
        if report.differences.isEmpty {
            lines.append("no \(report.unit.noun(1)) handled differently")
        } else {
            let count = report.differences.count
            let shown = min(count, shownDifferences)
            lines.append(
                "\(count) \(report.unit.noun(count)) handled differently"
                    + (count > shown ? " (first \(shown) shown; --json lists all)" : "") + ":")
            for difference in report.differences.prefix(shown) {
                lines += Self.difference(difference)
            }
        }
        if !report.regressions.isEmpty {
            lines.append("")
            lines.append("regressions:")
            for regression in report.regressions {
                lines.append(Self.regression(regression))
            }
        }
        lines.append("")
        if report.isEquivalent {
            lines.append("verdict: equivalent")
        } else {
            var reasons: [String] = []
            if !report.differences.isEmpty {
                reasons.append("\(report.differences.count) handled differently")
            }
            if !report.regressions.isEmpty {
                reasons.append("\(report.regressions.count) regression\(report.regressions.count == 1 ? "" : "s")")
            }
            lines.append("verdict: different (\(reasons.joined(separator: ", ")))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func regression(_ regression: ReplayRegression) -> String {
        let fuel = regression.measure == .fuel
        let old = fuel ? ReplayFormat.count(regression.baseline) : ReplayFormat.duration(regression.baseline)
        let new = fuel ? ReplayFormat.count(regression.candidate) : ReplayFormat.duration(regression.candidate)
        let name = fuel ? "fuel" : "wall time"
        let increase = ReplayFormat.percent(regression.increase)
        let allowed = ReplayFormat.percent(regression.allowed)
        return "  \(name) \(regression.statistic) \(increase) (allowed \(allowed)): \(old) -> \(new)"
    }

    private static func outcomeTable(_ report: ReplayReport) -> [String] {
        var labels = report.candidate.outcomes.map(\.label)
        for label in report.baseline?.outcomes.map(\.label) ?? [] where !labels.contains(label) { labels.append(label) }
        let width = max(12, (labels.map(\.count).max() ?? 0) + 2)
        guard let baseline = report.baseline else {
            var lines = [ReplayFormat.left("outcome", width) + ReplayFormat.right("count", 10)]
            for label in labels {
                lines.append(ReplayFormat.left(label, width) + ReplayFormat.right(String(report.candidate.count(label)), 10))
            }
            return lines
        }
        var lines = [
            ReplayFormat.left("outcome", width) + ReplayFormat.right("baseline", 12) + ReplayFormat.right("candidate", 12)
        ]
        for label in labels {
            lines.append(
                ReplayFormat.left(label, width) + ReplayFormat.right(String(baseline.count(label)), 12)
                    + ReplayFormat.right(String(report.candidate.count(label)), 12))
        }
        return lines
    }

    private static func percentileTable(
        _ title: String, _ candidate: ReplayPercentiles?, _ baseline: ReplayPercentiles?, compared: Bool,
        format: (UInt64) -> String, missing: String
    ) -> [String] {
        guard candidate != nil || baseline != nil else { return [missing] }
        let rows: [(String, KeyPath<ReplayPercentiles, UInt64>, KeyPath<ReplayPercentiles.Change, Double?>)] = [
            ("p50", \.p50, \.p50), ("p99", \.p99, \.p99), ("max", \.max, \.max),
        ]
        func cell(_ value: ReplayPercentiles?, _ path: KeyPath<ReplayPercentiles, UInt64>) -> String {
            value.map { format($0[keyPath: path]) } ?? "n/a"
        }
        guard compared else {
            var lines = [title]
            for (name, value, _) in rows {
                lines.append(ReplayFormat.left("  " + name, 12) + ReplayFormat.right(cell(candidate, value), 10))
            }
            return lines
        }
        let change = candidate.flatMap { new in baseline.map { new.change(from: $0) } }
        var lines = [
            ReplayFormat.left(title, 12) + ReplayFormat.right("baseline", 12) + ReplayFormat.right("candidate", 12)
                + ReplayFormat.right("change", 12)
        ]
        for (name, value, delta) in rows {
            lines.append(
                ReplayFormat.left("  " + name, 12) + ReplayFormat.right(cell(baseline, value), 12)
                    + ReplayFormat.right(cell(candidate, value), 12)
                    + ReplayFormat.right(ReplayFormat.percent(change?[keyPath: delta]), 12))
        }
        return lines
    }

    private static func difference(_ difference: ReplayDifference) -> [String] {
        var lines: [String]
        switch difference.subject {
        case .record(let topic, let partition, let offset, let key):
            lines = ["  \(topic) partition \(partition) offset \(offset), key \(key.map { ReplayBytes.display($0) } ?? "none"):"]
        case .request(let index, let module, let operation):
            lines = ["  request \(index) (\(module)/\(operation)):"]
        }
        lines.append("    baseline:  " + observation(difference.baseline))
        lines.append("    candidate: " + observation(difference.candidate))
        return lines
    }

    private static func observation(_ observation: ReplayObservation) -> String {
        let outputs: String
        if observation.outputs.isEmpty {
            outputs = "no output"
        } else {
            outputs = observation.outputs.map { output in
                (output.key.map { ReplayBytes.display($0, limit: 30) + " => " } ?? "") + ReplayBytes.display(output.value)
            }.joined(separator: ", ")
        }
        return "\(observation.outcome.detail); \(outputs)"
    }
}
