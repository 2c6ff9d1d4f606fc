import CPNG
import CPNGShim

#if canImport(Glibc)
import Glibc
#endif

/// PNG decoding and encoding with libpng.
public enum PNG {
  /// Decodes a PNG file's bytes to 8-bit pixels: one channel for grey images, three for
  /// colour ones; alpha and tRNS are dropped and colour values kept as stored
  /// (`unsup_png_decode`, a C shim over libpng's classic API that keeps its longjmp in C).
  public static func decode(_ bytes: [UInt8]) throws -> Image {
    var pixels: UnsafeMutablePointer<UInt8>?
    var width: Int32 = 0
    var height: Int32 = 0
    var channels: Int32 = 0
    var message = [CChar](repeating: 0, count: 256)
    let status = bytes.withUnsafeBufferPointer { data in
      unsup_png_decode(data.baseAddress, data.count, &pixels, &width, &height, &channels, &message, message.count)
    }
    guard status == 0, let pixels else {
      throw Failure("invalid PNG: " + String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    defer { free(pixels) }
    let count = Int(width) * Int(height) * Int(channels)
    return Image(
      interleaved: UnsafeBufferPointer(start: pixels, count: count), channels: Int(channels),
      height: Int(height), width: Int(width))
  }

  /// Encodes an 8-bit grey (1 channel) or RGB (3 channels) image
  /// (`png_image_write_to_memory`, libpng's longjmp-free simplified API).
  public static func encode(_ image: Image) throws -> [UInt8] {
    precondition(image.channels == 1 || image.channels == 3, "PNG.encode takes grey or RGB")
    var info = png_image()
    info.version = UInt32(PNG_IMAGE_VERSION)
    info.width = UInt32(image.width)
    info.height = UInt32(image.height)
    info.format = image.channels == 1 ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
    let interleaved = image.interleaved()
    var size = png_alloc_size_t(0)
    let stride = Int32(image.width * image.channels)
    // A first call with no buffer asks for the size.
    guard png_image_write_to_memory(&info, nil, &size, 0, interleaved, stride, nil) != 0 else {
      throw Failure("cannot encode PNG: \(pngMessage(&info))", exitCode: ExitStatus.software)
    }
    var encoded = [UInt8](repeating: 0, count: Int(size))
    let ok = encoded.withUnsafeMutableBytes { out in
      png_image_write_to_memory(&info, out.baseAddress, &size, 0, interleaved, stride, nil)
    }
    guard ok != 0 else { throw Failure("cannot encode PNG: \(pngMessage(&info))", exitCode: ExitStatus.software) }
    png_image_free(&info)
    return Array(encoded[..<Int(size)])
  }

  private static func pngMessage(_ info: inout png_image) -> String {
    withUnsafeBytes(of: &info.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
  }
}
