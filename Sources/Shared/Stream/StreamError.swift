/// Malformed stream input. Every case names the input and the byte offset of the frame.
public struct StreamError: ToolFailure, Equatable {
  /// How the input is named in messages.
  public var input: String
  /// Byte offset of the frame (or field) where the problem was found.
  public var offset: Int
  /// What is wrong, e.g. "wrong magic: expected UNSP, found 'GIF8'".
  public var problem: String

  public init(input: String, offset: Int, problem: String) {
    self.input = input
    self.offset = offset
    self.problem = problem
  }

  public var description: String { "\(input): \(problem) (at byte \(offset))" }
  public var exitCode: Int32 { ExitStatus.dataError }
}
