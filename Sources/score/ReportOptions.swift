import ArgumentParser
import Foundation
import Shared

#if canImport(Glibc)
import Glibc
#endif

/// The input and output options every `score` subcommand shares.
struct ReportOptions: ParsableArguments {
  @Argument(help: ArgumentHelp("The stream to read, or - for stdin.", valueName: "file"))
  var input = "-"

  @Flag(help: "Print one JSON object instead of the table.")
  var json = false

  @Flag(name: .shortAndLong, help: "Print no summary on stderr.")
  var quiet = false

  /// Opens the input stream; a terminal on stdin is refused rather than waited on.
  func openReader() throws -> StreamReader {
    try openStreamInput(input, example: "cluster … | score")
  }

  /// Prints the report: `lines` as text, or `object` as one line of JSON.
  func printReport(lines: [String], object: [String: JSONValue]) throws {
    let text = TextOutput()
    if json {
      try text.line(try jsonText(object))
    } else {
      for line in lines { try text.line(line) }
    }
    try text.flush()
  }
}

/// One JSON object on one line, keys sorted; a figure that is not finite is an error.
func jsonText(_ object: [String: JSONValue]) throws -> String {
  String(decoding: try JSONValue.object(object).encodedJSON(), as: UTF8.self)
}

extension JSONValue {
  static func integer(_ value: Int) -> JSONValue { .number(Double(value)) }
}

/// Rows of cells laid out in columns two spaces apart; the columns in `leftAligned` are
/// padded on the right, the others (numbers) on the left.
func tableLines(_ rows: [[String]], leftAligned: Set<Int> = [0]) -> [String] {
  let columns = rows.map(\.count).max() ?? 0
  var widths = [Int](repeating: 0, count: columns)
  for row in rows {
    for (c, cell) in row.enumerated() { widths[c] = max(widths[c], cell.count) }
  }
  return rows.map { row in
    var line = ""
    for (c, cell) in row.enumerated() {
      let padding = String(repeating: " ", count: widths[c] - cell.count)
      if c > 0 { line += "  " }
      line += leftAligned.contains(c) ? cell + padding : padding + cell
    }
    while line.hasSuffix(" ") { line.removeLast() }
    return line
  }
}

/// A score as it appears in the table: four decimals.
func decimal(_ value: Double) -> String { String(format: "%.4f", value) }

/// `label` followed by its class name from the metadata, when there is one.
func labelName(_ label: Int32, classes: [String]?) -> String {
  guard let classes, label >= 0, Int(label) < classes.count else { return "\(label)" }
  return "\(label) \(classes[Int(label)])"
}

/// Name–value lines, the names padded to one width.
func fieldLines(_ rows: [[String]]) -> [String] { tableLines(rows, leftAligned: [0, 1]) }
