/// One contiguous buffer of floats cut into named slices, laid out once: a network's
/// parameters live in one arena, and its gradients and optimiser state in arenas of the
/// same layout (`sameLayout`), so that an optimiser step is one loop over every value and
/// a training step allocates nothing.
public final class Arena {
  /// A slice's place in the buffer.
  public struct Slice: Equatable, Sendable {
    public let name: String
    public let offset: Int
    public let count: Int
    /// Tensor shape, for saving (PyTorch order).
    public let shape: [Int]
  }

  public private(set) var slices: [Slice] = []
  private var index: [String: Int] = [:]
  public private(set) var count = 0
  private var storage: UnsafeMutablePointer<Float>?

  public init() {}

  deinit { storage?.deallocate() }

  /// Adds a slice of `shape`; only before the first `pointer` call (the layout is then fixed).
  @discardableResult
  public func add(_ name: String, shape: [Int]) -> Slice {
    precondition(storage == nil, "the arena's layout is fixed once its memory is allocated")
    precondition(index[name] == nil, "slice \(name) added twice")
    let slice = Slice(name: name, offset: count, count: shape.reduce(1, *), shape: shape)
    index[name] = slices.count
    slices.append(slice)
    count += slice.count
    return slice
  }

  /// An arena with the same slices, zeroed (for gradients and optimiser state).
  public func sameLayout() -> Arena {
    let other = Arena()
    for slice in slices { other.add(slice.name, shape: slice.shape) }
    return other
  }

  /// The whole buffer, allocated (zeroed) on first use.
  public var base: UnsafeMutablePointer<Float> {
    if let storage { return storage }
    let allocated = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
    allocated.initialize(repeating: 0, count: max(count, 1))
    storage = allocated
    return allocated
  }

  /// The start of the slice called `name`.
  public func pointer(_ name: String) -> UnsafeMutablePointer<Float> {
    guard let position = index[name] else { preconditionFailure("no slice \(name) in the arena") }
    return base + slices[position].offset
  }

  public func slice(_ name: String) -> Slice? { index[name].map { slices[$0] } }

  /// Sets every value to 0 (gradients before a step).
  public func zero() {
    base.update(repeating: 0, count: max(count, 1))
  }
}
