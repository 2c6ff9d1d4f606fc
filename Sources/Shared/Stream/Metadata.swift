import Foundation

/// A JSON value, so that metadata keys the tools do not know travel on unchanged.
public enum JSONValue: Sendable, Equatable, Codable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case let .bool(value): try container.encode(value)
    case let .number(value): try container.encode(value)
    case let .string(value): try container.encode(value)
    case let .array(value): try container.encode(value)
    case let .object(value): try container.encode(value)
    }
  }

  public var stringValue: String? {
    if case let .string(value) = self { return value }
    return nil
  }

  public var numberValue: Double? {
    if case let .number(value) = self { return value }
    return nil
  }

  public var arrayValue: [JSONValue]? {
    if case let .array(value) = self { return value }
    return nil
  }

  /// Compact UTF-8 JSON with sorted keys, so equal values give equal bytes. Throws only for
  /// a number that is not finite, which JSON cannot express.
  public func encodedJSON() throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
      return Array(try encoder.encode(self))
    } catch {
      throw Failure("cannot write JSON: a number is not finite (NaN or infinity)")
    }
  }
}

/// The JSON metadata block of a stream header (docs/FORMAT.md, "Metadata").
///
/// Known keys have typed accessors; all other keys are kept as they are.
public struct Metadata: Sendable, Equatable {
  public var values: [String: JSONValue]

  public init(_ values: [String: JSONValue] = [:]) {
    self.values = values
  }

  /// Parses a UTF-8 JSON object; throws a message without position (the caller adds it).
  public init(json: [UInt8]) throws {
    let decoded: JSONValue
    do {
      decoded = try JSONDecoder().decode(JSONValue.self, from: Data(json))
    } catch {
      throw Failure("metadata is not valid JSON")
    }
    guard case let .object(values) = decoded else { throw Failure("metadata is not a JSON object") }
    self.values = values
  }

  /// Compact UTF-8 JSON with sorted keys, so equal metadata gives equal bytes.
  public func encoded() -> [UInt8] {
    // Cannot fail: metadata holds no non-finite numbers (decoded JSON cannot express
    // them, and the setters below refuse them).
    (try? JSONValue.object(values).encodedJSON()) ?? Array("{}".utf8)
  }

  /// Name of the source dataset.
  public var dataset: String? {
    get { values["dataset"]?.stringValue }
    set { values["dataset"] = newValue.map(JSONValue.string) }
  }

  /// Class names; label i is `classes[i]`.
  public var classes: [String]? {
    get {
      // All or nothing: skipping a non-string entry would shift later names onto the
      // wrong labels.
      guard let entries = values["classes"]?.arrayValue else { return nil }
      let names = entries.compactMap(\.stringValue)
      return names.count == entries.count ? names : nil
    }
    set { values["classes"] = newValue.map { .array($0.map(JSONValue.string)) } }
  }

  /// Nominal range of payload values, e.g. 0...255 for u8 pixels.
  public var range: ClosedRange<Double>? {
    get {
      guard let pair = values["range"]?.arrayValue, pair.count == 2,
        let low = pair[0].numberValue, let high = pair[1].numberValue, low <= high
      else { return nil }
      return low...high
    }
    set {
      guard let newValue, newValue.lowerBound.isFinite, newValue.upperBound.isFinite else {
        values["range"] = nil
        return
      }
      values["range"] = .array([.number(newValue.lowerBound), .number(newValue.upperBound)])
    }
  }

  /// The command lines that produced the stream, oldest first.
  public var history: [String] {
    get { values["history"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    set { values["history"] = .array(newValue.map(JSONValue.string)) }
  }
}
