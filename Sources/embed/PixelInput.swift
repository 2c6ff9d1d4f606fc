import Network
import Shared

/// How a stream's image payloads become a network's input: each value is first brought
/// to [0, 1] as the stream's metadata says (u8 and `range` 0...255 divided by 255, values
/// `normalize`d by augment taken back), then normalised per channel as the model was
/// trained: one multiply-add per value.
struct PixelInput {
  let channels: Int
  let pixels: Int
  let elementType: ElementType
  let scale: [Float]
  let shift: [Float]

  /// `normalization` nil gives the values in [0, 1].
  init(schema: StreamSchema, normalization: Normalization?, name: String) throws {
    guard schema.layout == .chw else {
      throw Failure("\(name): embed reads images (C×H×W), but the stream holds \(schema.summary)")
    }
    channels = schema.dims[0]
    pixels = schema.dims[1] * schema.dims[2]
    elementType = schema.elementType
    // Stored value x means x·sourceScale + sourceShift in [0, 1].
    var sourceScale = [Float](repeating: schema.elementType == .u8 ? 1 / 255 : 1, count: channels)
    var sourceShift = [Float](repeating: 0, count: channels)
    if case let .object(entries)? = schema.metadata.values["normalize"], let mean = entries["mean"]?.arrayValue,
      let std = entries["std"]?.arrayValue, mean.count == channels, std.count == channels
    {
      sourceScale = std.map { Float($0.numberValue ?? 1) }
      sourceShift = mean.map { Float($0.numberValue ?? 0) }
    } else if let range = schema.metadata.range, range.upperBound > 1 {
      sourceScale = Array(repeating: Float(1 / range.upperBound), count: channels)
    }
    let mean = normalization?.mean ?? Array(repeating: 0, count: channels)
    let std = normalization?.std ?? Array(repeating: 1, count: channels)
    scale = (0..<channels).map { sourceScale[$0] / std[$0] }
    shift = (0..<channels).map { (sourceShift[$0] - mean[$0]) / std[$0] }
  }

  /// Converts record `index` of `payload` (records of this schema) into `output`.
  func convert(_ payload: UnsafeRawBufferPointer, record index: Int, into output: UnsafeMutablePointer<Float>) {
    let count = channels * pixels
    let start = payload.baseAddress! + index * count * elementType.size
    for c in 0..<channels {
      let (a, b) = (scale[c], shift[c])
      let out = output + c * pixels
      var i = 0
      switch elementType {
      case .u8:
        let values = start.assumingMemoryBound(to: UInt8.self) + c * pixels
        while i < pixels {
          out[i] = Float(values[i]) * a + b
          i += 1
        }
      case .f16:
        let values = start.assumingMemoryBound(to: Float16.self) + c * pixels
        while i < pixels {
          out[i] = Float(values[i]) * a + b
          i += 1
        }
      case .f32:
        let values = start.assumingMemoryBound(to: Float.self) + c * pixels
        while i < pixels {
          out[i] = values[i] * a + b
          i += 1
        }
      }
    }
  }

  /// Refuses a stream whose images are not the `architecture`'s.
  static func check(_ schema: StreamSchema, fits architecture: Architecture, name: String, model: String) throws {
    let expected = [architecture.channels, architecture.height, architecture.width]
    guard schema.layout == .chw, schema.dims == expected else {
      throw Failure(
        "\(name): \(model) takes \(expected.map(String.init).joined(separator: "×")) images, but the stream holds \(schema.summary)")
    }
  }
}

/// Each channel's sum and sum of squares over images (C × H × W floats each), in Double:
/// the mean and standard deviation a normalisation is measured from.
struct ChannelMoments {
  let channels: Int
  let pixels: Int
  private var sums: [Double]
  private var squares: [Double]
  private var images = 0

  init(channels: Int, pixels: Int) {
    (self.channels, self.pixels) = (channels, pixels)
    sums = Array(repeating: 0, count: channels)
    squares = Array(repeating: 0, count: channels)
  }

  mutating func add(_ values: UnsafePointer<Float>, images count: Int) {
    for n in 0..<count {
      for c in 0..<channels {
        let plane = values + (n * channels + c) * pixels
        for i in 0..<pixels {
          sums[c] += Double(plane[i])
          squares[c] += Double(plane[i]) * Double(plane[i])
        }
      }
    }
    images += count
  }

  /// Mean and standard deviation per channel (the deviation floored at 10⁻³, so that a
  /// blank channel does not divide by zero).
  var normalization: Normalization {
    let n = Double(max(images, 1) * pixels)
    let mean = sums.map { $0 / n }
    let std = (0..<channels).map { max((squares[$0] / n - mean[$0] * mean[$0]).squareRoot(), 1e-3) }
    return Normalization(mean: mean.map(Float.init), std: std.map(Float.init))
  }
}
