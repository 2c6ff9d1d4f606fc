import CZlib

/// A gzip-compressed input inflated on the fly with zlib (`inflate`).
///
/// Multi-member files (several gzip streams one after another, as `cat a.gz b.gz`
/// makes) are read as one.
public final class GzipInput: ByteInput {
  public let name: String
  private let source: ByteInput
  private var stream = z_stream()
  private var compressed: UnsafeMutableRawBufferPointer
  private var sourceEnded = false
  private var memberEnded = false

  public init(_ source: ByteInput) throws {
    self.source = source
    name = source.name
    compressed = .allocate(byteCount: 1 << 20, alignment: 64)
    // 16 + 15: a gzip wrapper around a deflate stream with a window of up to 2^15 bytes.
    guard unsup_inflate_init(&stream, 16 + 15) == Z_OK else {
      compressed.deallocate()
      throw Failure("\(source.name): cannot initialise zlib", exitCode: ExitStatus.software)
    }
  }

  deinit {
    inflateEnd(&stream)
    compressed.deallocate()
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    guard buffer.count > 0 else { return 0 }
    stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
    stream.avail_out = uInt(min(buffer.count, Int(UInt32.max)))
    while stream.avail_out > 0 {
      if stream.avail_in == 0 && !sourceEnded {
        let got = try source.read(into: compressed)
        if got == 0 {
          sourceEnded = true
        } else {
          stream.next_in = compressed.baseAddress!.assumingMemoryBound(to: Bytef.self)
          stream.avail_in = uInt(got)
        }
      }
      if stream.avail_in == 0 && sourceEnded {
        guard memberEnded || stream.total_in == 0 else {
          throw Failure("\(name): gzip data is truncated")
        }
        break
      }
      if memberEnded {
        // Another gzip member follows the one that ended.
        inflateReset(&stream)
        memberEnded = false
      }
      let status = inflate(&stream, Z_NO_FLUSH)
      switch status {
      case Z_OK, Z_BUF_ERROR:
        break
      case Z_STREAM_END:
        memberEnded = true
      default:
        let detail = stream.msg.map { String(cString: $0) } ?? "error \(status)"
        throw Failure("\(name): corrupt gzip data: \(detail)")
      }
    }
    return buffer.count - Int(stream.avail_out)
  }
}

/// Opens `path` for reading (`-` for stdin), inflating it on the fly if it is gzip
/// compressed (recognised by its first two bytes, 1f 8b, on files and pipes alike).
public func openInput(path: String) throws -> ByteInput {
  let file = try FileInput(path: path)
  var magic: [UInt8] = [0, 0]
  let got = try magic.withUnsafeMutableBytes { try file.readFully(into: $0) }
  let input = PrefixedInput(prefix: Array(magic[..<got]), then: file)
  return got == 2 && magic == [0x1F, 0x8B] ? try GzipInput(input) : input
}
