import ArgumentParser
import Shared

#if canImport(Glibc)
import Glibc
#endif

@main
struct View: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "view",
    abstract: "Look at a stream: its schema and statistics, a PNG contact sheet, or records as text.",
    discussion: """
      With no mode option, --info is shown. --info and --json read the whole stream in \
      bounded memory; -o keeps only the records it draws.
      """)

  @Argument(help: ArgumentHelp("The stream to read, or - for stdin.", valueName: "file"))
  var input = "-"

  @Flag(help: "Print the schema, record count and statistics (value range, mean, label histogram) as text.")
  var info = false

  @Flag(help: "Print the same as --info as one JSON object (keys records, dtype, layout, shape, labels, …).")
  var json = false

  @Option(name: .shortAndLong, help: ArgumentHelp("Draw a contact sheet of the images into this PNG file (- for stdout).", valueName: "sheet.png"))
  var output: String?

  @Option(help: "With -o: put each group in its own row: label, cluster or view (records of one id).")
  var by: SheetGrouping?

  @Option(help: "With -o: images per row.")
  var columns = 16

  @Option(help: "With -o: at most this many rows: of --columns images, or one group each with --by.")
  var rows = 16

  @Option(help: "With -o: scale each image up by this integer factor.")
  var zoom = 1

  @Option(help: ArgumentHelp("Print the first N records as text: id, label, fields and values.", valueName: "n"))
  var head: Int?

  func validate() throws {
    if columns < 1 || columns > 1024 { throw ValidationError("--columns must be 1...1024, not \(columns)") }
    if rows < 1 || rows > 1024 { throw ValidationError("--rows must be 1...1024, not \(rows)") }
    if zoom < 1 || zoom > 32 { throw ValidationError("--zoom must be 1...32, not \(zoom)") }
    if let head, head < 0 { throw ValidationError("--head must be 0 or more, not \(head)") }
    if by != nil && output == nil { throw ValidationError("--by arranges a contact sheet: give -o sheet.png too") }
    let modes = [info || json, output != nil, head != nil].filter { $0 }.count
    if modes > 1 { throw ValidationError("choose one of --info/--json, -o and --head") }
  }

  static func main() { runAsTool() }

  func run() throws {
    let reader = try openStreamInput(input, example: "decode fashion-mnist | view")
    if let output {
      // The destination is opened first, so a bad path is reported before the reading.
      let file: AtomicFileOutput?
      if output == "-" {
        try refuseTerminalOutput("a PNG image", hint: "or use -o sheet.png")
        file = nil
      } else {
        file = try AtomicFileOutput(path: output)
      }
      let sheet = try ContactSheet(
        schema: reader.schema, inputName: reader.input.name, grouping: by, columns: columns, rows: rows, zoom: zoom)
      while !sheet.isFull, let batch = try reader.next() { try sheet.add(batch) }
      let png = try PNG.encode(sheet.render())
      if let file {
        try file.write(png)
        try file.commit()
      } else {
        try FileOutput(standardOutput: ()).write(png)
      }
      return
    }
    let text = TextOutput()
    if let head {
      try printHead(reader, count: head, to: text)
    } else {
      var statistics = StreamStatistics(schema: reader.schema)
      while let batch = try reader.next() { statistics.add(batch) }
      try text.line(json ? statistics.json(name: reader.input.name) : statistics.text(name: reader.input.name))
    }
    try text.flush()
  }
}

/// How `view -o --by` groups records into rows.
enum SheetGrouping: String, ExpressibleByArgument, CaseIterable {
  case label, cluster, view
}
