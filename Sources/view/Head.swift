import Shared

/// `view --head N`: one line per record, `id label [view] [split] [cluster] [probs] : values`.
/// Long payloads show their first 16 values and how many more there are.
func printHead(_ reader: StreamReader, count: Int, to text: TextOutput) throws {
  let schema = reader.schema
  var header = ["id", "label"]
  if schema.fields.contains(.view) { header.append("view") }
  if schema.fields.contains(.split) { header.append("split") }
  if schema.fields.contains(.cluster) { header.append("cluster") }
  if schema.fields.contains(.probs) { header.append("probs") }
  if schema.layout != .none { header.append(": values (\(schema.summary))") }
  try text.line(header.joined(separator: "\t"))
  var printed = 0
  let shown = min(16, schema.elementsPerRecord)
  while printed < count, let batch = try reader.next() {
    for i in 0..<min(batch.count, count - printed) {
      var fields = ["\(batch.ids[i])", "\(batch.labels[i])"]
      if let views = batch.views { fields.append("\(views[i])") }
      if let splits = batch.splits { fields.append(splitName(splits[i])) }
      if let clusters = batch.clusters { fields.append("\(clusters[i])") }
      if let probabilities = batch.probabilities {
        let k = schema.probabilityCount
        fields.append(probabilities[i * k..<(i + 1) * k].map { shortNumber(Double($0)) }.joined(separator: ","))
      }
      if schema.layout != .none {
        let values = batch.payloadValues(of: i, schema: schema, count: shown).map { shortNumber(Double($0)) }
        let more = schema.elementsPerRecord - shown
        fields.append(": " + values.joined(separator: " ") + (more > 0 ? " … (+\(more))" : ""))
      }
      try text.line(fields.joined(separator: "\t"))
    }
    printed += min(batch.count, count - printed)
  }
}
