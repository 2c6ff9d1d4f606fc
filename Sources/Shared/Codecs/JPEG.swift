import CTurboJPEG

/// JPEG decoding with libjpeg-turbo's TurboJPEG API, which reports errors by return
/// value, never by longjmp.
public enum JPEG {
  /// Decodes baseline, progressive and arithmetic-coded 8-bit JPEGs to grey (1 channel)
  /// for greyscale files and RGB (3 channels) for colour ones; `Image.converted` gives
  /// other channel counts, with the one luma formula the PNG path uses too.
  /// Corrupt data the decoder would only warn about is refused, not decoded to a guess.
  /// (`tjDecompressHeader3`, `tjDecompress2`)
  public static func decode(_ bytes: [UInt8]) throws -> Image {
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
    if colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) {
      throw Failure("CMYK JPEGs are not supported (convert to RGB first)")
    }
    let channels = colorspace == Int32(TJCS_GRAY.rawValue) ? 1 : 3
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
