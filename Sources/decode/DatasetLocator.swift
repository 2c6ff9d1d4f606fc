import Foundation
import Shared

/// Finds a named dataset's folder: --root DIR if given, else the first of
/// $UNSUP_DATA/NAME, ~/.cache/unsup/NAME and /usr/share/datasets/NAME (where Debian's
/// dataset packages install) that holds the wanted files.
struct DatasetLocator {
  var name: String
  var root: String?

  /// The folders searched, in order.
  var candidates: [String] {
    if let root { return [root] }
    var folders: [String] = []
    if let data = ProcessInfo.processInfo.environment["UNSUP_DATA"], !data.isEmpty {
      folders.append(data + "/" + name)
    }
    folders.append(NSHomeDirectory() + "/.cache/unsup/" + name)
    folders.append("/usr/share/datasets/" + name)
    return folders
  }

  /// The first candidate folder in which every file of `required` exists, each given as
  /// alternatives (e.g. `x.gz` or `x`); returns the chosen file paths, in that folder.
  func locate(_ required: [[String]], howToGet: String) throws -> [String] {
    let files = FileManager.default
    for folder in candidates {
      let found = required.compactMap { alternatives in
        alternatives.map { folder + "/" + $0 }.first { files.fileExists(atPath: $0) }
      }
      if found.count == required.count { return found }
    }
    let wanted = required.map { $0[0] }.joined(separator: ", ")
    var looked = candidates.joined(separator: ", ")
    if root == nil && ProcessInfo.processInfo.environment["UNSUP_DATA"] == nil { looked += " (UNSUP_DATA is not set)" }
    throw Failure("\(name) not found: looked for \(wanted) in \(looked). \(howToGet)", exitCode: ExitStatus.noInput)
  }
}

/// Reads fixed-size records front to back from a byte input, a block at a time, so that
/// each record costs a copy, not a system call or an inflate call.
final class RecordBlockReader {
  let input: ByteInput
  let recordSize: Int
  private var block: [UInt8]
  private var position = 0
  private var filled = 0

  init(_ input: ByteInput, recordSize: Int) {
    self.input = input
    self.recordSize = recordSize
    block = [UInt8](repeating: 0, count: max(recordSize, (1 << 18) / recordSize * recordSize))
  }

  /// Copies the next record into `out`; false at a clean end; throws if the input ends
  /// inside a record.
  func next(into out: UnsafeMutableRawBufferPointer) throws -> Bool {
    if position == filled {
      filled = try block.withUnsafeMutableBytes { try input.readFully(into: $0) }
      position = 0
      if filled == 0 { return false }
    }
    guard filled - position >= recordSize else {
      throw Failure("\(input.name): file ends inside a record (\(filled - position) of \(recordSize) bytes)")
    }
    block.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[position..<position + recordSize])) }
    position += recordSize
    return true
  }
}

/// A dataset name for files decoded by path: the file name.
func datasetName(fromPath path: String) -> String {
  path == "-" ? "stdin" : path.split(separator: "/").last.map(String.init) ?? path
}
