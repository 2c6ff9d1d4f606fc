import Foundation

/// Reading and writing the safetensors layout: an 8-byte little-endian header length, a
/// JSON header naming each tensor's dtype, shape and byte range, then the raw
/// little-endian data. PyTorch and numpy users load it with the `safetensors` package.
/// Only F32 tensors are used by unsup.
public struct SafeTensors {
  /// Tensors by name, each with its shape and values.
  public var tensors: [String: (shape: [Int], values: [Float])] = [:]
  /// String metadata (`__metadata__`).
  public var metadata: [String: String] = [:]

  public init() {}

  /// The file's bytes.
  public func encoded() -> [UInt8] {
    var header: [String: JSONValue] = [:]
    if !metadata.isEmpty { header["__metadata__"] = .object(metadata.mapValues(JSONValue.string)) }
    var offset = 0
    let names = tensors.keys.sorted()
    for name in names {
      let (shape, values) = tensors[name]!
      header[name] = .object([
        "dtype": .string("F32"), "shape": .array(shape.map { .number(Double($0)) }),
        "data_offsets": .array([.number(Double(offset)), .number(Double(offset + values.count * 4))]),
      ])
      offset += values.count * 4
    }
    // Cannot fail: the header holds only strings and integers.
    var json = (try? JSONValue.object(header).encodedJSON()) ?? Array("{}".utf8)
    // Pad the header with spaces so the data starts 8-byte aligned, as the format suggests.
    while (8 + json.count) % 8 != 0 { json.append(0x20) }
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
    bytes += json
    for name in names { tensors[name]!.values.withUnsafeBytes { bytes += $0 } }
    return bytes
  }

  /// Parses a file's bytes; `name` is how messages name the file.
  public init(bytes: [UInt8], name: String) throws {
    func failure(_ problem: String) -> Failure { Failure("\(name): \(problem)") }
    guard bytes.count >= 8 else { throw failure("not a safetensors file (shorter than 8 bytes)") }
    let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    guard headerLength <= UInt64(bytes.count - 8), headerLength <= 100 << 20 else {
      throw failure("not a safetensors file (header length \(headerLength) for a \(bytes.count)-byte file)")
    }
    let dataStart = 8 + Int(headerLength)
    guard case let .object(header)? = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes[8..<dataStart])) else {
      throw failure("the safetensors header is not a JSON object")
    }
    for (key, value) in header {
      if key == "__metadata__" {
        guard case let .object(entries) = value else { throw failure("__metadata__ is not an object") }
        metadata = entries.compactMapValues(\.stringValue)
        continue
      }
      // Every number is checked to be an exact, non-negative Int and every product and sum
      // for overflow: a model file is input like any other.
      func integers(_ value: JSONValue?) -> [Int]? {
        guard let items = value?.arrayValue else { return nil }
        let numbers = items.compactMap { $0.numberValue.flatMap { Int(exactly: $0) } }.filter { $0 >= 0 }
        return numbers.count == items.count ? numbers : nil
      }
      guard case let .object(entry) = value, entry["dtype"]?.stringValue == "F32",
        let shape = integers(entry["shape"]), let range = integers(entry["data_offsets"]), range.count == 2,
        range[0] <= range[1], range[1] <= bytes.count - dataStart
      else {
        throw failure("tensor \(key) is not an F32 tensor with a shape and byte range inside the file")
      }
      let byteCount = shape.reduce(4 as Int?) { total, dim in total.flatMap { $0.multipliedReportingOverflow(by: dim) }.flatMap { $0.overflow ? nil : $0.partialValue } }
      guard byteCount == range[1] - range[0] else {
        throw failure("tensor \(key) has shape \(shape) but \(range[1] - range[0]) bytes")
      }
      let start = dataStart + range[0]
      let values = [Float](unsafeUninitializedCapacity: shape.reduce(1, *)) { buffer, initialized in
        // Copied byte-wise: the data need not be 4-byte aligned in the file.
        bytes.withUnsafeBytes { source in
          UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<start + byteCount!]))
        }
        initialized = buffer.count
      }
      tensors[key] = (shape, values)
    }
  }

  /// The tensor `name` with exactly `shape`, or an error naming what differs.
  public func tensor(_ name: String, shape: [Int], file: String) throws -> [Float] {
    guard let tensor = tensors[name] else { throw Failure("\(file): no tensor named \(name)") }
    guard tensor.shape == shape else {
      throw Failure("\(file): tensor \(name) has shape \(tensor.shape), expected \(shape)")
    }
    return tensor.values
  }
}
