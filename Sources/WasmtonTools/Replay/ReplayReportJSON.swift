import Foundation

/// The report as one JSON object, for CI and scripts: everything the text shows, with every
/// differing input. Bytes are a UTF-8 string under their name (`key`, `value`) when valid UTF-8,
/// else base64 under `key_base64`/`value_base64`. Times are nanoseconds; changes are percent.
public enum ReplayReportJSON {
    /// The report as one line of JSON (sorted keys), with a trailing newline.
    public static func render(_ report: ReplayReport) -> String {
        var object: [String: Any] = [
            "equivalent": report.isEquivalent,
            "total": report.total,
            "unit": report.unit.rawValue,
            "candidate": summary(report.candidate),
            "baseline": report.baseline.map(summary) ?? NSNull(),
            "differences": report.differences.map(difference),
            "regressions": report.regressions.map(regression),
            "thresholds": [
                "max_fuel_increase": report.thresholds.maxFuelIncrease ?? NSNull(),
                "max_latency_increase": report.thresholds.maxLatencyIncrease ?? NSNull(),
            ] as [String: Any],
        ]
        if let baseline = report.baseline {
            var change: [String: Any] = [:]
            if let new = report.candidate.fuel, let old = baseline.fuel { change["fuel"] = percentages(new.change(from: old)) }
            if let new = report.candidate.latency, let old = baseline.latency {
                change["latency"] = percentages(new.change(from: old))
            }
            object["change"] = change
        }
        // Only strings, numbers, Booleans, nulls, arrays and dictionaries: serializing cannot fail.
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func summary(_ summary: ReplaySummary) -> [String: Any] {
        var outcomes: [String: Int] = [:]
        for (label, count) in summary.outcomes { outcomes[label] = count }
        return [
            "module": summary.module,
            "outcomes": outcomes,
            "fuel": summary.fuel.map(percentiles) ?? NSNull(),
            "latency_ns": summary.latency.map(percentiles) ?? NSNull(),
        ]
    }

    private static func percentiles(_ value: ReplayPercentiles) -> [String: Any] {
        ["p50": value.p50, "p99": value.p99, "max": value.max]
    }

    private static func percentages(_ change: ReplayPercentiles.Change) -> [String: Any] {
        ["p50": change.p50 ?? NSNull(), "p99": change.p99 ?? NSNull(), "max": change.max ?? NSNull()]
    }

    private static func difference(_ difference: ReplayDifference) -> [String: Any] {
        var object: [String: Any] = [
            "baseline": observation(difference.baseline),
            "candidate": observation(difference.candidate),
        ]
        switch difference.subject {
        case .record(let topic, let partition, let offset, let key):
            object["topic"] = topic
            object["partition"] = partition
            object["offset"] = offset
            bytes(key, name: "key", into: &object)
        case .request(let index, let module, let operation):
            object["index"] = index
            object["module"] = module
            object["operation"] = operation
        }
        return object
    }

    private static func observation(_ observation: ReplayObservation) -> [String: Any] {
        [
            "outcome": observation.outcome.label,
            "detail": observation.outcome.detail,
            "outputs": observation.outputs.map { output -> [String: Any] in
                var object: [String: Any] = [:]
                bytes(output.key, name: "key", into: &object)
                bytes(output.value, name: "value", into: &object)
                return object
            },
            "fuel": observation.fuel ?? NSNull(),
            "latency_ns": observation.nanoseconds,
        ]
    }

    private static func bytes(_ bytes: [UInt8]?, name: String, into object: inout [String: Any]) {
        guard let bytes else {
            object[name] = NSNull()
            return
        }
        if let text = ReplayBytes.utf8(bytes) {
            object[name] = text
        } else {
            object[name + "_base64"] = Data(bytes).base64EncodedString()
        }
    }

    private static func regression(_ regression: ReplayRegression) -> [String: Any] {
        [
            "measure": regression.measure.rawValue,
            "statistic": regression.statistic,
            "baseline": regression.baseline,
            "candidate": regression.candidate,
            "increase": regression.increase.isFinite ? regression.increase : NSNull(),
            "allowed": regression.allowed,
        ]
    }
}
