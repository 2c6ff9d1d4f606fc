/// An 8-bit image stored planar, channel by channel (C, H, W), as stream payloads are.
public struct Image: Sendable, Equatable {
  public var channels: Int
  public var height: Int
  public var width: Int
  /// `channels × height × width` bytes, row-major within each channel.
  public var pixels: [UInt8]

  public init(channels: Int, height: Int, width: Int, pixels: [UInt8]) {
    precondition(pixels.count == channels * height * width, "pixel count does not match the shape")
    self.channels = channels
    self.height = height
    self.width = width
    self.pixels = pixels
  }

  /// A black image.
  public init(channels: Int, height: Int, width: Int) {
    self.init(channels: channels, height: height, width: width, pixels: [UInt8](repeating: 0, count: channels * height * width))
  }

  /// Converts interleaved pixels (H, W, C), as codecs produce them, to planar.
  public init(interleaved: UnsafeBufferPointer<UInt8>, channels: Int, height: Int, width: Int) {
    let plane = height * width
    let pixels = [UInt8](unsafeUninitializedCapacity: channels * plane) { out, initialized in
      if channels == 1 {
        _ = out.initialize(from: interleaved)
      } else {
        for c in 0..<channels {
          var source = c
          for i in 0..<plane {
            out[c * plane + i] = interleaved[source]
            source += channels
          }
        }
      }
      initialized = channels * plane
    }
    self.init(channels: channels, height: height, width: width, pixels: pixels)
  }

  /// The pixels interleaved (H, W, C), as codecs take them.
  public func interleaved() -> [UInt8] {
    if channels == 1 { return pixels }
    let plane = height * width
    var out = [UInt8](repeating: 0, count: pixels.count)
    for c in 0..<channels {
      for i in 0..<plane { out[i * channels + c] = pixels[c * plane + i] }
    }
    return out
  }

  /// This image with `count` channels (1 or 3): grey is repeated into RGB, and RGB becomes
  /// grey by ITU-R 601-2 luma, L = 0.299 R + 0.587 G + 0.114 B, in the 16-bit fixed point
  /// Pillow's `convert("L")` uses, so the two agree exactly.
  public func converted(toChannels count: Int) -> Image {
    precondition(count == 1 || count == 3, "channel count must be 1 or 3")
    if count == channels { return self }
    let plane = height * width
    if count == 3 {
      return Image(channels: 3, height: height, width: width, pixels: pixels + pixels + pixels)
    }
    let grey = [UInt8](unsafeUninitializedCapacity: plane) { out, initialized in
      pixels.withUnsafeBufferPointer { p in
        for i in 0..<plane {
          let sum = 19595 * UInt32(p[i]) + 38470 * UInt32(p[plane + i]) + 7471 * UInt32(p[2 * plane + i])
          out[i] = UInt8((sum + 0x8000) >> 16)
        }
      }
      initialized = plane
    }
    return Image(channels: 1, height: height, width: width, pixels: grey)
  }
}
