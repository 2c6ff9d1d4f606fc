import Foundation
import Testing

@testable import Shared
@testable import decode

/// CSVSource and its parsing helpers.
@Suite struct CSVTests {
  static func parse(_ line: String) -> CSVSource.Fields {
    Array(line.utf8).withUnsafeBufferPointer { CSVSource.parse($0) }
  }

  static func number(_ field: String) -> Double? {
    Array(field.utf8).withUnsafeBufferPointer { CSVSource.number($0) }
  }

  static func values(_ line: String) -> [Double]? {
    if case let .values(values) = parse(line) { return values }
    return nil
  }

  @Test func numbers() {
    #expect(Self.number("0") == 0)
    #expect(Self.number("255") == 255)
    #expect(Self.number("007") == 7)
    #expect(Self.number("-12") == -12)
    #expect(Self.number("  42\t") == 42)
    #expect(Self.number("1.5") == 1.5)
    #expect(Self.number("-0.25") == -0.25)
    #expect(Self.number("1e3") == 1000)
    #expect(Self.number("123456789012345678") == 123_456_789_012_345_678)
    for bad in ["", " ", "-", "abc", "1a", "1 2", "nan", "inf", "-inf", "1e999", "--1"] {
      #expect(Self.number(bad) == nil, "\(bad)")
    }
  }

  @Test func lines() {
    #expect(Self.values("5,0,255") == [5, 0, 255])
    #expect(Self.values(" 1 , 2 ,3 ") == [1, 2, 3])
    #expect(Self.values("7") == [7])
    if case .blank = Self.parse("") {} else { Issue.record("empty line is not blank") }
    if case .blank = Self.parse(" \t ") {} else { Issue.record("whitespace line is not blank") }
    if case let .text(text) = Self.parse("label,pixel1") { #expect(text == "label,pixel1") } else { Issue.record("header not text") }
    // An empty field is not a number.
    if case .text = Self.parse("1,,2") {} else { Issue.record("1,,2 parsed as numbers") }
    if case .text = Self.parse("1,2,") {} else { Issue.record("trailing comma parsed as numbers") }
  }

  @Test func defaultDims() {
    #expect(CSVSource.defaultDims(784) == [1, 28, 28])
    #expect(CSVSource.defaultDims(3072) == [3, 32, 32])
    #expect(CSVSource.defaultDims(10) == [10])
    #expect(CSVSource.defaultDims(4) == [1, 2, 2])
    #expect(CSVSource.defaultDims(12) == [3, 2, 2])
    #expect(CSVSource.defaultDims(27) == [3, 3, 3])
    #expect(CSVSource.defaultDims(1) == [1])
    #expect(CSVSource.defaultDims(3) == [3])
    #expect(CSVSource.defaultDims(27648) == [3, 96, 96])
    #expect(CSVSource.defaultDims(785) == [785])
  }

  @Test func headerSkippedBlankLinesSkippedCRLFAccepted() throws {
    let folder = try TemporaryFolder()
    let text = "label,a,b,c,d\r\n3,1,2,3,4\r\n\r\n  \n0, 255 ,0,0,9\n\n-1,5,6,7,8\n\n"
    let path = try folder.write("data.csv", text: text)
    let source = try CSVSource(path: path, dims: nil, elementType: .u8, split: .train)
    #expect(source.schema.dims == [1, 2, 2] && source.schema.layout == .chw)
    #expect(source.schema.metadata.dataset == "data.csv")
    #expect(source.schema.metadata.range == 0...255)
    #expect(try readAll(source) == [
      ReadRecord(id: 0, label: 3, split: .train, payload: [1, 2, 3, 4]),
      ReadRecord(id: 1, label: 0, split: .train, payload: [255, 0, 0, 9]),
      ReadRecord(id: 2, label: -1, split: .train, payload: [5, 6, 7, 8]),
    ])
    // No header, no split, no trailing newline.
    let bare = try folder.write("bare.csv", text: "1,2,3\n4,5,6")
    let records = try readAll(CSVSource(path: bare, dims: nil, elementType: .u8, split: nil))
    #expect(records == [
      ReadRecord(id: 0, label: 1, split: nil, payload: [2, 3]),
      ReadRecord(id: 1, label: 4, split: nil, payload: [5, 6]),
    ])
  }

  @Test func gzippedCSVIsAccepted() throws {
    let folder = try TemporaryFolder()
    let lines = (0..<50).map { n in "\(n % 10)," + (0..<784).map { String(($0 + n) % 256) }.joined(separator: ",") }
    let path = try folder.writeGzipped("train.csv.gz", Array(("label," + (1...784).map { "p\($0)" }.joined(separator: ",") + "\n" + lines.joined(separator: "\n") + "\n").utf8))
    let source = try CSVSource(path: path, dims: nil, elementType: .u8, split: nil)
    #expect(source.schema.dims == [1, 28, 28])
    let records = try readAll(source)
    #expect(records.count == 50)
    for (n, record) in records.enumerated() {
      #expect(record.label == Int32(n % 10))
      #expect(difference(record.payload, (0..<784).map { UInt8(($0 + n) % 256) }) == nil)
    }
  }

  /// Many lines across the reader's 1 MiB blocks, and one line longer than a block.
  @Test func longInputsCrossBlockBoundaries() throws {
    let folder = try TemporaryFolder()
    let width = 3072
    let count = 120  // ≈ 1.4 MB
    var text = ""
    for n in 0..<count { text += "\(n % 10)," + (0..<width).map { String(($0 * 7 + n) % 256) }.joined(separator: ",") + "\n" }
    let path = try folder.write("big.csv", text: text)
    let records = try readAll(CSVSource(path: path, dims: nil, elementType: .u8, split: nil))
    #expect(records.count == count)
    for (n, record) in records.enumerated() where record.payload != (0..<width).map({ UInt8(($0 * 7 + n) % 256) }) {
      Issue.record("record \(n) differs")
    }
    let long = 300_000  // "255," × 300,000 = 1.2 MB on one line
    let longLine = "1," + Array(repeating: "255", count: long).joined(separator: ",")
    let longPath = try folder.write("long.csv", text: longLine + "\n" + longLine + "\n")
    let longRecords = try readAll(CSVSource(path: longPath, dims: nil, elementType: .u8, split: nil))
    #expect(longRecords.count == 2)
    #expect(longRecords.allSatisfy { $0.payload.count == long && $0.payload.allSatisfy { $0 == 255 } })
  }

  @Test func floatTypes() throws {
    let folder = try TemporaryFolder()
    let path = try folder.write("f.csv", text: "2,0.5,-1.25,300\n")
    let f32 = try readAll(CSVSource(path: path, dims: nil, elementType: .f32, split: nil))
    #expect(f32.first?.payload.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == [0.5, -1.25, 300])
    let f16 = try readAll(CSVSource(path: path, dims: nil, elementType: .f16, split: nil))
    #expect(f16.first?.payload.withUnsafeBytes { Array($0.bindMemory(to: Float16.self)) } == [0.5, -1.25, 300])
    #expect(try CSVSource(path: path, dims: nil, elementType: .f32, split: nil).schema.metadata.range == nil)
  }

  @Test func u8RangeErrorsNameLineAndColumn() throws {
    let folder = try TemporaryFolder()
    let path = try folder.write("bad.csv", text: "label,a,b,c\n1,2,3,4\n\n5,6,7,256\n")
    let source = try CSVSource(path: path, dims: nil, elementType: .u8, split: nil)
    var payload = [UInt8](repeating: 0, count: 3)
    _ = try payload.withUnsafeMutableBytes { try source.next(into: $0) }
    let message = failureMessage { _ = try payload.withUnsafeMutableBytes { try source.next(into: $0) } }
    // Line 4 (header, record, blank line, then this); the label is column 1, so 256 is column 4.
    #expect(message == "\(path):4: value 256.0 in column 4 is not an integer 0...255; use --dtype f32")

    // In the first record (read while opening), negative and fractional values.
    for (row, column) in [("1,-1,0", 2), ("1,0,2.5", 3)] {
      let file = try folder.write("row.csv", text: row + "\n")
      let first = failureMessage { _ = try readAll(CSVSource(path: file, dims: nil, elementType: .u8, split: nil)) }
      #expect(first?.hasPrefix("\(file):1: value ") == true, "\(first ?? "")")
      #expect(first?.contains("in column \(column) ") == true, "\(first ?? "")")
    }
  }

  @Test func otherBadRecordsAreErrors() throws {
    let folder = try TemporaryFolder()
    let columns = try folder.write("cols.csv", text: "1,2,3\n1,2\n")
    #expect(failureMessage { _ = try readAll(CSVSource(path: columns, dims: nil, elementType: .u8, split: nil)) }
      == "\(columns):2: 2 columns, expected 3 (a label and 2 values)")
    let label = try folder.write("label.csv", text: "1,2,3\n-2,2,3\n")
    #expect(failureMessage { _ = try readAll(CSVSource(path: label, dims: nil, elementType: .u8, split: nil)) }
      == "\(label):2: label -2.0 is not an integer ≥ -1")
    let text = try folder.write("text.csv", text: "1,2,3\n1,x,3\n")
    #expect(failureMessage { _ = try readAll(CSVSource(path: text, dims: nil, elementType: .u8, split: nil)) }
      == "\(text):2: not a number in: 1,x,3")
    let secondHeader = try folder.write("second.csv", text: "\nlabel,a\n1,2\n")
    #expect(failureMessage { _ = try CSVSource(path: secondHeader, dims: nil, elementType: .u8, split: nil) }
      == "\(secondHeader):2: not a number in: label,a")
    let empty = try folder.write("empty.csv", text: "\n\n")
    #expect(failureMessage { _ = try CSVSource(path: empty, dims: nil, elementType: .u8, split: nil) } == "\(empty): no records")
    let headerOnly = try folder.write("header.csv", text: "label,a,b\n")
    #expect(failureMessage { _ = try CSVSource(path: headerOnly, dims: nil, elementType: .u8, split: nil) }
      == "\(headerOnly): no records after the header line")
    let labelOnly = try folder.write("labelonly.csv", text: "1\n2\n")
    #expect(failureMessage { _ = try CSVSource(path: labelOnly, dims: nil, elementType: .u8, split: nil) }
      == "\(labelOnly):1: a record needs a label and at least one value")
  }

  /// Line 1 is a header only when its first field is not a number, so a first record with
  /// a typo is refused rather than dropped; a UTF-8 byte-order mark does not hide the first
  /// record either.
  @Test func firstRecordIsNotMistakenForAHeader() throws {
    let folder = try TemporaryFolder()
    let typo = try folder.write("typo.csv", text: "1,2,x\n3,4,5\n")
    let message = failureMessage { _ = try readAll(CSVSource(path: typo, dims: nil, elementType: .u8, split: nil)) }
    #expect(message?.hasPrefix("\(typo):1: not a number") == true, "\(message ?? "")")
    let bom = try folder.write("bom.csv", [0xEF, 0xBB, 0xBF] + Array("1,2,3\n4,5,6\n".utf8))
    let records = try readAll(CSVSource(path: bom, dims: nil, elementType: .u8, split: nil))
    #expect(records.map(\.label) == [1, 4])
    // With a header, a BOM is harmless: the header line is skipped either way.
    let bomHeader = try folder.write("bomheader.csv", [0xEF, 0xBB, 0xBF] + Array("label,a,b\n1,2,3\n".utf8))
    #expect(try readAll(CSVSource(path: bomHeader, dims: nil, elementType: .u8, split: nil)).map(\.label) == [1])
  }

  @Test func shapeOption() throws {
    let folder = try TemporaryFolder()
    let path = try folder.write("s.csv", text: "1,1,2,3,4,5,6\n")
    // --shape parsing: HxW gets one channel.
    #expect(ShapeArgument(argument: "2x3")?.dims == [1, 2, 3])
    #expect(ShapeArgument(argument: "3X1x2")?.dims == [3, 1, 2])
    #expect(ShapeArgument(argument: "6")?.dims == [6])
    for bad in ["", "0x6", "2x", "x3", "1x2x3x1", "a", "-2x3"] { #expect(ShapeArgument(argument: bad) == nil, "\(bad)") }

    let source = try CSVSource(path: path, dims: [1, 2, 3], elementType: .u8, split: nil)
    #expect(source.schema.layout == .chw && source.schema.dims == [1, 2, 3])
    let vector = try CSVSource(path: path, dims: [6], elementType: .u8, split: nil)
    #expect(vector.schema.layout == .vector && vector.schema.dims == [6])
    #expect(try readAll(vector).first?.payload == [1, 2, 3, 4, 5, 6])

    do {
      _ = try CSVSource(path: path, dims: [1, 2, 2], elementType: .u8, split: nil)
      Issue.record("a wrong --shape was accepted")
    } catch let failure as Failure {
      #expect(failure.description == "\(path): --shape 1x2x2 has 4 values but records have 6")
      #expect(failure.exitCode == ExitStatus.usage)
    }
  }
}
