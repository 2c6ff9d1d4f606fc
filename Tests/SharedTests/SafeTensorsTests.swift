import Foundation
import Testing

@testable import Shared

/// safetensors files: a round trip, and forged headers refused with a message, never a trap.
@Suite struct SafeTensorsTests {
  /// A file with `header` as its JSON header and `data` after it.
  func file(_ header: String, data: [UInt8] = []) -> [UInt8] {
    let json = Array(header.utf8)
    return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json + data
  }

  @Test func roundTrip() throws {
    var tensors = SafeTensors()
    tensors.metadata = ["method": "kmeans"]
    tensors.tensors["centers"] = ([2, 3], [1, 2, 3, 4, 5, -6.5])
    tensors.tensors["weights"] = ([2], [0.25, 0.75])
    let read = try SafeTensors(bytes: tensors.encoded(), name: "m")
    #expect(read.metadata == ["method": "kmeans"])
    #expect(try read.tensor("centers", shape: [2, 3], file: "m") == [1, 2, 3, 4, 5, -6.5])
    #expect(try read.tensor("weights", shape: [2], file: "m") == [0.25, 0.75])
    #expect(throws: Failure.self) { try read.tensor("weights", shape: [3], file: "m") }
  }

  /// Data at an offset that is not a multiple of 4 is read correctly.
  @Test func unalignedDataIsCopied() throws {
    let one: Float = 1.5
    let bytes = file(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}}"#, data: [0] + withUnsafeBytes(of: one) { Array($0) })
    #expect(try SafeTensors(bytes: bytes, name: "m").tensor("x", shape: [1], file: "m") == [1.5])
  }

  @Test(arguments: [
    #"{"x":{"dtype":"F32","shape":[1e300],"data_offsets":[0,4]}}"#,
    #"{"x":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,0]}}"#,
    #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,9223372036854775000]}}"#,
    #"{"x":{"dtype":"F32","shape":["a",1],"data_offsets":[0,4]}}"#,
    #"{"x":{"dtype":"F32","shape":[2.5],"data_offsets":[0,4]}}"#,
    #"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
    #"{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,4]}}"#,
    #"[1, 2]"#,
  ])
  func forgedHeadersAreRefused(header: String) {
    #expect(throws: Failure.self) { try SafeTensors(bytes: file(header, data: [0, 0, 0, 0]), name: "m") }
  }
}
