import Shared

extension Arena {
  /// The arena's slices as safetensors tensors (their names and PyTorch shapes), with
  /// `metadata` in `__metadata__`.
  public func safeTensors(metadata: [String: String] = [:]) -> SafeTensors {
    var file = SafeTensors()
    file.metadata = metadata
    for slice in slices {
      file.tensors[slice.name] = (slice.shape, Array(UnsafeBufferPointer(start: base + slice.offset, count: slice.count)))
    }
    return file
  }

  /// Fills every slice from `file`'s tensor of the same name. Every slice must be there
  /// with its exact shape, and the file must hold no other tensor: a model file for
  /// another network is refused with what differs, never half loaded.
  public func load(_ file: SafeTensors, name: String) throws {
    let expected = Set(slices.map(\.name))
    if let extra = file.tensors.keys.sorted().first(where: { !expected.contains($0) }) {
      throw Failure("\(name): tensor \(extra) is not part of this network (\(slices.count) tensors expected)")
    }
    var values: [[Float]] = []
    for slice in slices { values.append(try file.tensor(slice.name, shape: slice.shape, file: name)) }
    for (slice, tensor) in zip(slices, values) {
      tensor.withUnsafeBufferPointer { (base + slice.offset).update(from: $0.baseAddress!, count: slice.count) }
    }
  }
}
