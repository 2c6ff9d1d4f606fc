import Foundation
import Shared

/// A file of fixed-size records with no header (CIFAR and STL-10 binaries), read by index
/// with `pread`.
final class RawRecordFile {
  let file: FileInput
  let recordSize: Int
  let count: Int
  private var scratch: [UInt8]

  init(path: String, recordSize: Int) throws {
    file = try FileInput(path: path)
    guard let size = file.regularFileSize else { throw Failure("\(path): not a regular file", exitCode: ExitStatus.noInput) }
    guard size % recordSize == 0 else {
      throw Failure("\(path): size \(size) is not a multiple of the \(recordSize)-byte record; is this the right file?")
    }
    self.recordSize = recordSize
    count = size / recordSize
    scratch = [UInt8](repeating: 0, count: recordSize)
  }

  /// Calls `body` with the bytes of record `index`.
  func withRecord<T>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
    let got = try scratch.withUnsafeMutableBytes { try file.read(into: $0, at: index * recordSize) }
    guard got == recordSize else { throw Failure("\(file.name): file shrank while being read") }
    return try scratch.withUnsafeBytes(body)
  }
}

/// Class names from a text file, one per line (blank lines dropped).
func readClassNames(_ path: String) -> [String]? {
  guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
  let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  return names.isEmpty ? nil : names
}
