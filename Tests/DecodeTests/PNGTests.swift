import Foundation
import Testing

@testable import Shared
@testable import decode

/// PNG.decode on libpng's PngSuite and testpngs, checked against a PNG reader written
/// for the tests (ReferencePNG) and against hand-worked values.
@Suite struct PNGTests {
  static let folders = ["png/pngsuite", "png/pngsuite-interlaced", "png/testpngs"]

  @Test(arguments: folders)
  func everyFileDecodesWithItsSizeAndChannelCount(folder: String) throws {
    let files = try TestData.pngFiles(in: folder)
    #expect(files.count >= 9, "too few PNGs in \(folder)")
    for file in files {
      let bytes = try TestData.bytes(file)
      let header = try ReferencePNG(bytes)
      let image = try PNG.decode(bytes)
      // Grey and grey+alpha → 1 channel; palette, RGB and RGBA → 3.
      let channels = [0: 1, 4: 1, 2: 3, 3: 3, 6: 3][header.colorType]!
      #expect(image.width == header.width && image.height == header.height, "\(file)")
      #expect(image.channels == channels, "\(file): colour type \(header.colorType)")
    }
  }

  /// Every non-interlaced file, pixel for pixel, against the reference reader's samples
  /// brought to 8 bits as the decoder's contract says (alpha and tRNS dropped, palette
  /// looked up, low depths scaled to 0…255, 16 bits rounded, gamma ignored).
  @Test(arguments: folders)
  func nonInterlacedFilesMatchTheReferenceReader(folder: String) throws {
    var checked = 0
    for file in try TestData.pngFiles(in: folder) {
      let bytes = try TestData.bytes(file)
      let reference = try ReferencePNG(bytes)
      guard !reference.interlaced else { continue }
      let expected = reference.expected8Bit()
      let image = try PNG.decode(bytes)
      #expect(image.channels == expected.channels, "\(file)")
      #expect(difference(image.interleaved(), expected.pixels) == nil, "\(file)")
      checked += 1
    }
    if folder != "png/pngsuite-interlaced" { #expect(checked > 20) }
  }

  /// Each interlaced i*.png has a plain twin in pngsuite/ without the leading 'i'.
  @Test func interlacedFilesEqualTheirPlainTwins() throws {
    let suite = try TestData.folder("png/pngsuite")
    var pairs = 0
    for folder in ["png/pngsuite", "png/pngsuite-interlaced"] {
      for file in try TestData.pngFiles(in: folder) {
        let name = (file as NSString).lastPathComponent
        guard name.hasPrefix("i") else { continue }
        let twin = suite + "/" + name.dropFirst()
        let interlaced = try PNG.decode(TestData.bytes(file))
        let plain = try PNG.decode(TestData.bytes(twin))
        #expect(difference(interlaced, plain) == nil, "\(name) differs from its twin")
        pairs += 1
      }
    }
    // 21 in pngsuite/ (3 of which are in fact not interlaced) and 9 in pngsuite-interlaced/.
    #expect(pairs == 30)
  }

  @Test func oneBitGreyIsOnlyBlackAndWhite() throws {
    let suite = try TestData.folder("png/pngsuite")
    for name in ["basn0g01.png", "ftbbn0g01.png"] {
      let image = try PNG.decode(TestData.bytes(suite + "/" + name))
      #expect(Set(image.pixels) == [0, 255], "\(name)")
    }
    // 2- and 4-bit grey: multiples of 255/3 = 85 and 255/15 = 17. basn0g02 stores all of
    // 0…3; basn0g04 stores 0…14 (read with a separate parser), so 0, 17, …, 238.
    let two = try PNG.decode(TestData.bytes(suite + "/basn0g02.png"))
    #expect(Set(two.pixels).isSubset(of: [0, 85, 170, 255]))
    #expect(Set(two.pixels).count == 4)
    let four = try PNG.decode(TestData.bytes(suite + "/basn0g04.png"))
    #expect(Set(four.pixels) == Set((0...14).map { UInt8($0 * 17) }))
  }

  /// The testpngs grey ramps (read with an independent parser): gray-1 is 2×1 [0, 1],
  /// gray-2 is 4×1 [0…3], gray-4 16×1 [0…15], gray-8 256×1 [1, 2, …, 255, 0].
  @Test func lowBitDepthGreyRampsScaleToFullRange() throws {
    let folder = try TestData.folder("png/testpngs")
    func decode(_ name: String) throws -> [UInt8] { try PNG.decode(TestData.bytes(folder + "/" + name)).pixels }
    #expect(try decode("gray-1.png") == [0, 255])
    #expect(try decode("gray-2.png") == [0, 85, 170, 255])
    #expect(try decode("gray-4.png") == (0..<16).map { UInt8($0 * 17) })
    #expect(try decode("gray-8.png") == (1..<256).map { UInt8($0) } + [0])
  }

  /// gray-16.png is 256×256 and holds each 16-bit value 0…65535 exactly once (checked
  /// with a separate parser), so its 8-bit histogram is known: v → round(v × 255 / 65535)
  /// = round(v / 257) sends 257k − 128 … 257k + 128 to k, i.e. 257 values to each of
  /// 1…254, and 129 to 0 (0…128) and to 255 (65407…65535). Its first row stores
  /// 1 + 257x for x < 255, then 65280, so it decodes to 0, 1, …, 254, 254.
  /// (Its 8-bit sibling gray-8.png is a 256×1 ramp, not the same picture, so it is not a
  /// usable comparison.)
  @Test func sixteenBitGreyRoundsToEightBits() throws {
    let folder = try TestData.folder("png/testpngs")
    let image = try PNG.decode(TestData.bytes(folder + "/gray-16.png"))
    #expect(image.channels == 1 && image.height == 256 && image.width == 256)
    var histogram = [Int](repeating: 0, count: 256)
    for value in image.pixels { histogram[Int(value)] += 1 }
    #expect(histogram[0] == 129)
    #expect(histogram[255] == 129)
    #expect(histogram[1...254].allSatisfy { $0 == 257 })
    #expect(Array(image.pixels[0..<256]) == (0..<255).map { UInt8($0) } + [254])
    // rgb-16.png's first row stores 257x in all three channels: exactly x.
    let rgb = try PNG.decode(TestData.bytes(folder + "/rgb-16.png"))
    for c in 0..<3 {
      #expect(Array(rgb.pixels[c * 65536..<c * 65536 + 256]) == (0..<256).map { UInt8($0) })
    }
  }

  /// tRNS is dropped and gamma chunks are ignored: every X-tRNS.png decodes like X.png
  /// (their stored samples and palettes are identical), and for non-palette files the
  /// -1.8, -linear and -sRGB variants decode like the plain file.
  @Test func transparencyAndGammaChunksDoNotChangePixels() throws {
    let folder = try TestData.folder("png/testpngs")
    var pairs = 0
    for file in try TestData.pngFiles(in: "png/testpngs") {
      let name = (file as NSString).lastPathComponent
      var twins: [String] = []
      if name.contains("-tRNS") { twins.append(name.replacingOccurrences(of: "-tRNS", with: "")) }
      if !name.hasPrefix("palette") {
        var plain = name
        for variant in ["-tRNS", "-1.8", "-linear", "-sRGB"] { plain = plain.replacingOccurrences(of: variant, with: "") }
        if plain != name { twins.append(plain) }
      }
      let image = try PNG.decode(TestData.bytes(file))
      for twin in twins {
        #expect(try difference(image, PNG.decode(TestData.bytes(folder + "/" + twin))) == nil, "\(name) vs \(twin)")
        pairs += 1
      }
    }
    #expect(pairs > 60)
  }

  @Test func encodeThenDecodeRoundTrips() throws {
    var random = SplitMix64(seed: 7)
    for channels in [1, 3] {
      let pixels = (0..<channels * 5 * 7).map { _ in UInt8(truncatingIfNeeded: random.next()) }
      let image = Image(channels: channels, height: 5, width: 7, pixels: pixels)
      let bytes = try PNG.encode(image)
      #expect(try PNG.decode(bytes) == image)
      // …and the reference reader agrees on what was written.
      let reference = try ReferencePNG(bytes)
      #expect(reference.expected8Bit().pixels == image.interleaved())
    }
  }

  @Test func truncatedFilesThrowAFailure() throws {
    let bytes = try TestData.bytes(try TestData.folder("png/pngsuite") + "/basn2c08.png")
    // Cut inside the IDAT data, right after IHDR, inside the signature, and to nothing.
    for length in [bytes.count / 2, bytes.count - 13, 33, 20, 8, 5, 0] {
      let message = failureMessage { _ = try PNG.decode(Array(bytes[..<length])) }
      #expect(message?.hasPrefix("invalid PNG: ") == true, "cut at \(length): \(message ?? "")")
      #expect((message?.count ?? 0) > "invalid PNG: ".count, "cut at \(length): empty reason")
    }
  }

  @Test func garbageAndCorruptDataThrowAFailure() throws {
    var random = SplitMix64(seed: 3)
    let garbage = (0..<1000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    #expect(failureMessage { _ = try PNG.decode(garbage) } == "invalid PNG: not a PNG file (bad signature)")
    // A JPEG is not a PNG either.
    #expect(failureMessage { _ = try PNG.decode([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46, 0x49, 0x46]) } != nil)

    // A valid signature and IHDR followed by garbage.
    let good = try TestData.bytes(try TestData.folder("png/pngsuite") + "/basn0g08.png")
    let message = failureMessage { _ = try PNG.decode(Array(good[..<33]) + garbage) }
    #expect(message?.hasPrefix("invalid PNG: ") == true)

    // A flipped byte inside the first IDAT: its CRC no longer matches (or the zlib data breaks).
    var corrupt = good
    let idat = Self.firstChunk("IDAT", in: good)!
    corrupt[idat + 20] ^= 0x55
    #expect(failureMessage { _ = try PNG.decode(corrupt) }?.hasPrefix("invalid PNG: ") == true)

    // A header declaring a side above the decoder's limit.
    var huge = good
    huge.replaceSubrange(16..<20, with: bigEndian32(1 << 20))
    Self.fixCRC(of: 8, in: &huge)
    #expect(failureMessage { _ = try PNG.decode(huge) }?.hasPrefix("invalid PNG: ") == true)
  }

  /// Offset of the data of the first chunk of `type`.
  static func firstChunk(_ type: String, in bytes: [UInt8]) -> Int? {
    var position = 8
    while position + 8 <= bytes.count {
      let length = bytes[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
      if String(decoding: bytes[position + 4..<position + 8], as: UTF8.self) == type { return position + 8 }
      position += 12 + length
    }
    return nil
  }

  /// Rewrites the CRC of the chunk starting at `chunk` (its length field).
  static func fixCRC(of chunk: Int, in bytes: inout [UInt8]) {
    let length = bytes[chunk..<chunk + 4].reduce(0) { $0 << 8 | Int($1) }
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes[chunk + 4..<chunk + 8 + length] {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    bytes.replaceSubrange(chunk + 8 + length..<chunk + 12 + length, with: bigEndian32(Int(~crc)))
  }
}
