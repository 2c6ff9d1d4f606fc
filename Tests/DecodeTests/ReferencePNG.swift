import CZlib

/// A small PNG reader written for the tests from the PNG specification, independent of
/// libpng: it parses the chunks, inflates IDAT with zlib, undoes the five row filters and
/// unpacks samples. It reads non-interlaced files only (interlaced files are checked
/// against their plain twins instead), and it gives the samples as stored, at their own
/// bit depth, so the expected 8-bit values are worked out separately (`expected8Bit`).
struct ReferencePNG {
  var width: Int
  var height: Int
  var bitDepth: Int
  var colorType: Int
  var interlaced: Bool
  /// Samples per pixel as stored: 1 grey, 3 RGB, 1 palette index, 2 grey+alpha, 4 RGBA.
  var samplesPerPixel: Int
  /// `height × width × samplesPerPixel` raw sample values (0 ..< 2^bitDepth).
  var samples: [Int]
  /// PLTE entries, RGB.
  var palette: [UInt8]

  enum Problem: Error { case malformed(String) }

  init(_ bytes: [UInt8]) throws {
    guard bytes.count > 8, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
      throw Problem.malformed("signature")
    }
    func u32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    var position = 8
    var header: [UInt8] = []
    var compressed: [UInt8] = []
    var palette: [UInt8] = []
    while position + 8 <= bytes.count {
      let length = u32(position)
      let type = String(decoding: bytes[position + 4..<position + 8], as: UTF8.self)
      let data = Array(bytes[position + 8..<position + 8 + length])
      position += 12 + length
      switch type {
      case "IHDR": header = data
      case "PLTE": palette = data
      case "IDAT": compressed += data
      case "IEND": position = bytes.count
      default: break
      }
    }
    guard header.count == 13 else { throw Problem.malformed("IHDR") }
    width = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
    height = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
    bitDepth = Int(header[8])
    colorType = Int(header[9])
    interlaced = header[12] == 1
    samplesPerPixel = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]!
    self.palette = palette
    samples = []
    guard !interlaced else { return }

    let bitsPerPixel = samplesPerPixel * bitDepth
    let rowBytes = (width * bitsPerPixel + 7) / 8
    let filterStride = max(1, bitsPerPixel / 8)  // "bpp" of the filter definitions
    let raw = try ReferencePNG.inflate(compressed, expected: height * (rowBytes + 1))
    var previous = [Int](repeating: 0, count: rowBytes)
    var samples: [Int] = []
    samples.reserveCapacity(width * height * samplesPerPixel)
    for y in 0..<height {
      let start = y * (rowBytes + 1)
      let filter = raw[start]
      var row = raw[start + 1..<start + 1 + rowBytes].map(Int.init)
      for i in 0..<rowBytes {
        let a = i >= filterStride ? row[i - filterStride] : 0
        let b = previous[i]
        let c = i >= filterStride ? previous[i - filterStride] : 0
        let predictor: Int
        switch filter {
        case 0: predictor = 0
        case 1: predictor = a
        case 2: predictor = b
        case 3: predictor = (a + b) / 2
        case 4:
          let p = a + b - c
          let (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
          predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
        default: throw Problem.malformed("filter \(filter)")
        }
        row[i] = (row[i] + predictor) & 0xFF
      }
      previous = row
      for s in 0..<width * samplesPerPixel {
        switch bitDepth {
        case 16: samples.append(row[2 * s] << 8 | row[2 * s + 1])
        case 8: samples.append(row[s])
        default:
          let bit = s * bitDepth
          samples.append(row[bit / 8] >> (8 - bitDepth - bit % 8) & ((1 << bitDepth) - 1))
        }
      }
    }
    self.samples = samples
  }

  /// What PNG.decode should give, interleaved: grey types → 1 channel, palette and RGB →
  /// 3; alpha dropped; palette indices looked up; grey of 1, 2 or 4 bits scaled to 0…255
  /// (v × 255 / (2^depth − 1), exact); 16-bit values to round(v × 255 / 65535).
  func expected8Bit() -> (channels: Int, pixels: [UInt8]) {
    func scale(_ v: Int) -> UInt8 {
      switch bitDepth {
      case 16: return UInt8((v * 255 + 32767) / 65535)
      case 8: return UInt8(v)
      default: return UInt8(v * 255 / ((1 << bitDepth) - 1))
      }
    }
    var out: [UInt8] = []
    for p in 0..<width * height {
      let s = p * samplesPerPixel
      switch colorType {
      case 0, 4: out.append(scale(samples[s]))
      case 2, 6: out += [scale(samples[s]), scale(samples[s + 1]), scale(samples[s + 2])]
      case 3: out += palette[3 * samples[s]..<3 * samples[s] + 3]
      default: fatalError("colour type \(colorType)")
      }
    }
    return (colorType == 0 || colorType == 4 ? 1 : 3, out)
  }

  /// Inflates a zlib stream (window bits 15: zlib wrapper, as IDAT is).
  static func inflate(_ input: [UInt8], expected: Int) throws -> [UInt8] {
    var stream = z_stream()
    guard unsup_inflate_init(&stream, 15) == Z_OK else { throw Problem.malformed("zlib init") }
    defer { inflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: expected)
    var input = input
    let status = input.withUnsafeMutableBufferPointer { source in
      output.withUnsafeMutableBufferPointer { target in
        stream.next_in = source.baseAddress
        stream.avail_in = uInt(source.count)
        stream.next_out = target.baseAddress
        stream.avail_out = uInt(target.count)
        return CZlib.inflate(&stream, Z_FINISH)
      }
    }
    guard status == Z_STREAM_END, stream.total_out == expected else { throw Problem.malformed("IDAT inflate \(status)") }
    return output
  }
}
