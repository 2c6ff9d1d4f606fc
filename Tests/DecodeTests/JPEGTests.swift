import Foundation
import Testing

@testable import Shared
@testable import decode

/// JPEG.decode on libjpeg's test images. testorig.jpg, testimgint.jpg (progressive) and
/// testimgari.jpg (arithmetic) were all compressed from testorig.ppm (227×149 RGB).
@Suite struct JPEGTests {
  static func path(_ name: String) throws -> String { try TestData.folder("jpeg") + "/" + name }

  /// A binary PPM (P6, maxval 255) parsed here: header tokens separated by whitespace,
  /// `#` comments, one whitespace byte, then interleaved RGB.
  static func readPPM(_ bytes: [UInt8]) throws -> (width: Int, height: Int, rgb: [UInt8]) {
    var position = 0
    func token() throws -> String {
      while position < bytes.count {
        if bytes[position] == UInt8(ascii: "#") {
          while position < bytes.count && bytes[position] != 0x0A { position += 1 }
        } else if [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) {
          position += 1
        } else {
          break
        }
      }
      let start = position
      while position < bytes.count && ![0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
      return String(decoding: bytes[start..<position], as: UTF8.self)
    }
    guard try token() == "P6", let width = Int(try token()), let height = Int(try token()), try token() == "255" else {
      throw Failure("not a P6 PPM with maxval 255")
    }
    position += 1  // the single whitespace byte after maxval
    guard bytes.count - position == width * height * 3 else { throw Failure("PPM size mismatch") }
    return (width, height, Array(bytes[position...]))
  }

  static func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
    precondition(a.count == b.count)
    var squared = 0.0
    for (x, y) in zip(a, b) {
      let d = Double(x) - Double(y)
      squared += d * d
    }
    let mse = squared / Double(a.count)
    return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
  }

  @Test(arguments: ["testorig.jpg", "testimgint.jpg", "testimgari.jpg"])
  func decodesCloseToTheOriginal(name: String) throws {
    let original = try Self.readPPM(TestData.bytes(Self.path("testorig.ppm")))
    #expect(original.width == 227 && original.height == 149)
    let image = try JPEG.decode(TestData.bytes(Self.path(name)))
    #expect(image.channels == 3)
    #expect(image.width == original.width && image.height == original.height)
    guard image.width == original.width, image.height == original.height else { return }
    let quality = Self.psnr(image.interleaved(), original.rgb)
    #expect(quality > 30, "\(name): PSNR \(quality) dB")
    // A channel swap or a planar/interleaved mix-up would fall far below 30 dB.
    var swapped = image
    swapped.pixels = Array(image.pixels[2 * 227 * 149..<3 * 227 * 149] + image.pixels[227 * 149..<2 * 227 * 149] + image.pixels[0..<227 * 149])
    #expect(Self.psnr(swapped.interleaved(), original.rgb) < 25)
  }

  /// A colour JPEG decodes to RGB; asking `decode images` for one channel gives the luma
  /// of that RGB decode, by the same formula as for PNGs (Pillow's `convert("L")`).
  @Test func greyRequestGivesLumaOfTheRGBDecode() throws {
    let path = try Self.path("testorig.jpg")
    let rgb = try JPEG.decode(TestData.bytes(path))
    #expect(rgb.channels == 3 && rgb.width == 227 && rgb.height == 149)
    let grey = try ImageFilesSource.decodeFile(path, channels: 1)
    #expect(grey.channels == 1)
    #expect(difference(grey, rgb.converted(toChannels: 1)) == nil)
  }

  @Test func twelveBitJPEGIsRefusedNamingPrecision() throws {
    let bytes = try TestData.bytes(Self.path("monkey12.jpg"))
    let message = failureMessage { _ = try JPEG.decode(bytes) }
    #expect(message?.lowercased().contains("precision") == true, "message: \(message ?? "none")")
  }

  @Test func truncatedAndGarbageJPEGsThrow() throws {
    let bytes = try TestData.bytes(Self.path("testorig.jpg"))
    // Inside the entropy-coded data, inside the tables, after SOI only, nothing.
    for length in [bytes.count / 2, bytes.count - 100, 300, 2, 0] {
      let message = failureMessage { _ = try JPEG.decode(Array(bytes[..<length])) }
      #expect(message?.hasPrefix("invalid JPEG: ") == true, "cut at \(length): \(message ?? "none")")
    }
    var random = SplitMix64(seed: 11)
    let garbage = (0..<2000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    #expect(failureMessage { _ = try JPEG.decode(garbage) }?.hasPrefix("invalid JPEG: ") == true)
  }

  /// decodeFile (the `images` subcommand) sniffs the format and names the file in errors.
  @Test func imageFilesAreSniffedAndErrorsNameTheFile() throws {
    let folder = try TemporaryFolder()
    let jpeg = try folder.write("photo.png", TestData.bytes(Self.path("testorig.jpg")))  // misnamed on purpose
    let image = try ImageFilesSource.decodeFile(jpeg, channels: nil)
    #expect(image.channels == 3 && image.width == 227)
    let text = try folder.write("notes.jpg", text: "hello")
    let message = failureMessage { _ = try ImageFilesSource.decodeFile(text, channels: nil) }
    #expect(message == "\(text): not a PNG or JPEG file")
    let twelve = try folder.write("monkey.jpg", TestData.bytes(Self.path("monkey12.jpg")))
    let refused = failureMessage { _ = try ImageFilesSource.decodeFile(twelve, channels: 1) }
    #expect(refused?.hasPrefix(twelve + ": invalid JPEG") == true)
  }
}
