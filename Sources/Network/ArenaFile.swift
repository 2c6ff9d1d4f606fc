import Shared

extension SafeTensors {
  /// Adds every slice of each arena as a tensor named prefix + slice name, with its
  /// PyTorch shape.
  public mutating func add(_ arenas: [(prefix: String, arena: Arena)]) {
    for (prefix, arena) in arenas {
      for slice in arena.slices {
        tensors[prefix + slice.name] = (slice.shape, Array(UnsafeBufferPointer(start: arena.base + slice.offset, count: slice.count)))
      }
    }
  }

  /// Fills every slice of each arena from the tensor named prefix + slice name. Every slice
  /// must be there with its exact shape, and the file must hold no other tensor: a file for
  /// another network is refused with what differs, and nothing is half loaded.
  public func load(into arenas: [(prefix: String, arena: Arena)], name: String) throws {
    var expected: Set<String> = []
    for (prefix, arena) in arenas { for slice in arena.slices { expected.insert(prefix + slice.name) } }
    if let extra = tensors.keys.sorted().first(where: { !expected.contains($0) }) {
      throw Failure("\(name): tensor \(extra) is not part of this network (\(expected.count) tensors expected)")
    }
    var values: [(UnsafeMutablePointer<Float>, [Float])] = []
    for (prefix, arena) in arenas {
      for slice in arena.slices {
        values.append((arena.base + slice.offset, try tensor(prefix + slice.name, shape: slice.shape, file: name)))
      }
    }
    for (target, tensor) in values { target.update(from: tensor, count: tensor.count) }
  }
}

extension Arena {
  /// The arena's slices as safetensors tensors, with `metadata` in `__metadata__`.
  public func safeTensors(metadata: [String: String] = [:]) -> SafeTensors {
    var file = SafeTensors()
    file.metadata = metadata
    file.add([("", self)])
    return file
  }

  /// Fills every slice from `file` (see `SafeTensors.load(into:name:)`).
  public func load(_ file: SafeTensors, name: String) throws {
    try file.load(into: [("", self)], name: name)
  }
}
