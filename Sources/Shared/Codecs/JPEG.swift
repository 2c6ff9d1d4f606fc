import CTurboJPEG

/// JPEG decoding with libjpeg-turbo's TurboJPEG API, which reports errors by return
/// value, never by longjmp.
public enum JPEG {
  /// Decodes baseline, progressive and arithmetic-coded 8-bit JPEGs to grey (1 channel)
  /// or RGB (3 channels): the file's own colour count unless `channels` asks otherwise.
  /// Grey comes from the decoder's luma, as Pillow's `convert("L")` would give.
  /// (`tjDecompressHeader3`, `tjDecompress2`)
  public static func decode(_ bytes: [UInt8], channels requested: Int? = nil) throws -> Image {
    if let requested, requested != 1 && requested != 3 {
      throw Failure("JPEG decodes to 1 or 3 channels, not \(requested)", exitCode: ExitStatus.software)
    }
    guard let handle = tjInitDecompress() else {
      throw Failure("cannot initialise TurboJPEG", exitCode: ExitStatus.software)
    }
    defer { tjDestroy(handle) }
    var width: Int32 = 0
    var height: Int32 = 0
    var subsampling: Int32 = 0
    var colorspace: Int32 = 0
    try check(handle, bytes.withUnsafeBufferPointer { data in
      tjDecompressHeader3(handle, data.baseAddress, UInt(data.count), &width, &height, &subsampling, &colorspace)
    })
    let channels = requested ?? (colorspace == Int32(TJCS_GRAY.rawValue) ? 1 : 3)
    guard Int(width) * Int(height) <= Int(UNSUP_MAX_JPEG_PIXELS) else {
      throw Failure("JPEG of \(width)×\(height) pixels is larger than this decoder accepts")
    }
    var interleaved = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
    let format = channels == 1 ? TJPF_GRAY : TJPF_RGB
    let flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS
    try check(handle, bytes.withUnsafeBufferPointer { data in
      interleaved.withUnsafeMutableBufferPointer { out in
        tjDecompress2(
          handle, data.baseAddress, UInt(data.count), out.baseAddress, width, 0, height,
          Int32(format.rawValue), Int32(flags))
      }
    })
    return interleaved.withUnsafeBufferPointer {
      Image(interleaved: $0, channels: channels, height: Int(height), width: Int(width))
    }
  }

  /// Turns a TurboJPEG status into an error carrying `tjGetErrorStr2`'s message.
  private static func check(_ handle: tjhandle, _ status: Int32) throws {
    guard status != 0 else { return }
    throw Failure("invalid JPEG: " + String(cString: tjGetErrorStr2(handle)))
  }
}
