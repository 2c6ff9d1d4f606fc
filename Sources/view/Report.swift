import Foundation
import Shared

extension StreamStatistics {
  /// The --info report.
  func text(name: String) -> String {
    var lines: [(String, String)] = [("stream", name), ("records", "\(records)"), ("payload", schema.summary)]
    let metadata = schema.metadata
    if let dataset = metadata.dataset { lines.append(("dataset", dataset)) }
    if let range = metadata.range { lines.append(("range", "\(shortNumber(range.lowerBound))...\(shortNumber(range.upperBound))")) }
    for command in metadata.history { lines.append(("history", command)) }
    if let moments = moments() {
      var values = "min \(shortNumber(minimum))  max \(shortNumber(maximum))  mean \(shortNumber(moments.overall.mean))  std \(shortNumber(moments.overall.std))"
      if nonFinite > 0 { values += "  non-finite \(nonFinite)" }
      lines.append(("values", values))
      if moments.channels.count > 1 {
        for (c, moment) in moments.channels.enumerated() {
          lines.append(("channel", "\(c): mean \(shortNumber(moment.mean))  std \(shortNumber(moment.std))"))
        }
      }
    }
    let classes = metadata.classes ?? []
    for (label, count) in labels.sorted(by: { $0.key < $1.key }) {
      let name = label >= 0 && Int(label) < classes.count ? " " + classes[Int(label)] : label < 0 ? " (unknown)" : ""
      lines.append(("label", "\(label)\(name): \(count)"))
    }
    if !splits.isEmpty {
      lines.append(("splits", splits.sorted { $0.key < $1.key }.map { "\(splitName($0.key)) \($0.value)" }.joined(separator: ", ")))
    }
    if !views.isEmpty {
      lines.append(("views", views.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")))
    }
    if !clusters.isEmpty {
      lines.append(("clusters", clusters.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")))
    }
    return lines.map { $0.0.padding(toLength: 9, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
  }

  /// The --json report: one object.
  func json(name: String) -> String {
    var object: [String: JSONValue] = [
      "stream": .string(name),
      "records": .number(Double(records)),
      "dtype": .string(schema.elementType.description),
      "layout": .string(schema.layout.description),
      "shape": .array(schema.dims.map { .number(Double($0)) }),
      "fields": .array(fieldNames.map(JSONValue.string)),
      "labels": histogram(labels),
      "metadata": .object(schema.metadata.values),
    ]
    if schema.fields.contains(.probs) { object["probs"] = .number(Double(schema.probabilityCount)) }
    if !splits.isEmpty { object["splits"] = .object(Dictionary(uniqueKeysWithValues: splits.map { (splitName($0.key), .number(Double($0.value))) })) }
    if !views.isEmpty { object["views"] = histogram(views) }
    if !clusters.isEmpty { object["clusters"] = histogram(clusters) }
    if let moments = moments() {
      object["min"] = .number(minimum)
      object["max"] = .number(maximum)
      object["mean"] = .number(moments.overall.mean)
      object["std"] = .number(moments.overall.std)
      object["channel_mean"] = .array(moments.channels.map { .number($0.mean.isFinite ? $0.mean : 0) })
      object["channel_std"] = .array(moments.channels.map { .number($0.std.isFinite ? $0.std : 0) })
      object["non_finite"] = .number(Double(nonFinite))
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? String(decoding: encoder.encode(JSONValue.object(object)), as: UTF8.self)) ?? "{}"
  }

  private var fieldNames: [String] {
    ["id", "label"] + [(RecordFields.view, "view"), (.split, "split"), (.cluster, "cluster"), (.probs, "probs")]
      .filter { schema.fields.contains($0.0) }.map(\.1)
  }

  private func histogram(_ counts: [Int32: Int]) -> JSONValue {
    .object(Dictionary(uniqueKeysWithValues: counts.map { (String($0.key), .number(Double($0.value))) }))
  }
}

func splitName(_ code: UInt8) -> String {
  Split(rawValue: code)?.description ?? "split \(code)"
}
