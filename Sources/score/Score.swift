import ArgumentParser
import Shared

@main
struct Score: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Score clusters against labels (ACC, NMI, ARI, purity), or embeddings with kNN and linear probes.",
    discussion: """
      `score [file]` is `score clusters [file]`: it reads a stream made by cluster. knn and \
      linear read an embedding stream with a split field: they fit on the train records and \
      report accuracy on the test records. Records with label -1 are left out and counted. \
      A table goes to stdout, or one JSON object with --json.
      """,
    subcommands: [ClusterScore.self, KNNProbe.self, LinearProbe.self],
    defaultSubcommand: ClusterScore.self)

  static func main() { runAsTool() }
}
