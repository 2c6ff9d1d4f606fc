import Foundation
import Testing
import ToolRunner

/// End-to-end: the built tools run in pipelines, as a user would run them.
@Suite struct DecodeViewTests {
  @Test func fashionMNISTThroughViewJSON() throws {
    let result = try ToolRunner.shell("decode fashion-mnist --split test --limit 25 -q | view --json")
    #expect(result.status == 0, "\(result.stderr)")
    let report = result.stdout.jsonObject
    #expect(report["records"] as? Int == 25)
    #expect(report["dtype"] as? String == "u8")
    #expect(report["shape"] as? [Int] == [1, 28, 28])
    #expect((report["splits"] as? [String: Int]) == ["test": 25])
    // The first test image of Fashion-MNIST is an ankle boot (label 9).
    let head = try ToolRunner.shell("decode fashion-mnist --split test --limit 1 -q | view --head 1")
    let line = String(decoding: head.stdout, as: UTF8.self).split(separator: "\n")[1]
    #expect(line.hasPrefix("60000\t9\ttest\t:"), "\(line)")
  }

  @Test func shardsCoverTheDataOnce() throws {
    let script = """
      for i in 0 1 2; do decode fashion-mnist --split test --limit 4000 --shuffle --seed 7 --shard $i/3 -q | view --head 5000 | tail -n +2 | cut -f1; done | sort -n | uniq | wc -l
      """
    // --limit applies per shard, after sharding: 3 shards of 3334/3333/3333 records.
    let result = try ToolRunner.shell(script.replacingOccurrences(of: "--limit 4000 ", with: ""))
    #expect(result.status == 0, "\(result.stderr)")
    #expect(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "10000")
  }

  @Test func clusterAssignsEveryRecord() throws {
    let result = try ToolRunner.shell("decode fashion-mnist --limit 400 -q | cluster -k 10 -q --soft --drop-payload | view --json")
    #expect(result.status == 0, "\(result.stderr)")
    let report = result.stdout.jsonObject
    #expect(report["records"] as? Int == 400)
    #expect(report["layout"] as? String == "none")
    #expect(report["probs"] as? Int == 10)
    let clusters = report["clusters"] as? [String: Int] ?? [:]
    #expect(clusters.count == 10 && clusters.values.reduce(0, +) == 400)
    let balanced = try ToolRunner.shell("decode fashion-mnist --limit 400 -q | cluster -k 4 --method sinkhorn -q | view --json")
    // Argmax of a balanced plan gives clusters of nearly equal size (exactly equal only in the limit ε → 0).
    let sizes = (balanced.stdout.jsonObject["clusters"] as? [String: Int] ?? [:]).values.sorted()
    #expect(sizes.count == 4 && sizes.reduce(0, +) == 400 && sizes.last! - sizes.first! <= 20, "\(sizes)")
  }

  @Test func miniBatchClustersAPipe() throws {
    let result = try ToolRunner.shell("decode fashion-mnist --limit 1000 -q | cluster -k 10 --minibatch 128 --passes 2 -q --drop-payload | view --json")
    #expect(result.status == 0, "\(result.stderr)")
    let clusters = result.stdout.jsonObject["clusters"] as? [String: Int] ?? [:]
    #expect(clusters.count == 10 && clusters.values.reduce(0, +) == 1000, "\(clusters)")
  }

  /// Fit on train, save, assign test with the saved model: the same assignments as the
  /// fitted model gives when it assigns the test records itself.
  @Test func savedModelAssignsAnotherStream() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    for method in ["kmeans", "gmm"] {
      let model = folder.appendingPathComponent("\(method).safetensors").path
      let fit = try ToolRunner.shell(
        "decode fashion-mnist --split train --limit 600 -q | cluster -k 5 --method \(method) --save \"$0\" -q > /dev/null", [model])
      #expect(fit.status == 0, "\(fit.stderr)")
      let first = try ToolRunner.shell("decode fashion-mnist --split test --limit 80 -q | cluster --load \"$0\" -q | view --head 80 | cut -f1,4", [model])
      let again = try ToolRunner.shell("decode fashion-mnist --split test --limit 80 -q | cluster --load \"$0\" -q | view --head 80 | cut -f1,4", [model])
      #expect(first.status == 0 && first.stdout == again.stdout && first.stdout.count > 80 * 3, "\(first.stderr)")
      let wrong = try ToolRunner.shell("decode images \"$1\" --size 8 -q | cluster --load \"$0\" -q", [model, sharedData("png/pngsuite")])
      #expect(wrong.status == 65 && wrong.stderr.contains("the model is for 784-value records"), "\(wrong.stderr)")
    }
  }

  @Test func gzipIsRecognisedOnStdin() throws {
    let result = try ToolRunner.shell("decode idx - --limit 3 -q < \"$0\" | view --json", ["/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.jsonObject["records"] as? Int == 3)
  }

  @Test func shuffleIsReproducible() throws {
    let a = try ToolRunner.shell("decode fashion-mnist --split test --shuffle --seed 3 --limit 50 -q | view --head 50")
    let b = try ToolRunner.shell("decode fashion-mnist --split test --shuffle --seed 3 --limit 50 -q | view --head 50")
    let c = try ToolRunner.shell("decode fashion-mnist --split test --shuffle --seed 4 --limit 50 -q | view --head 50")
    #expect(a.status == 0 && a.stdout == b.stdout)
    #expect(a.stdout != c.stdout)
  }

  @Test func concatenatedStreamsReadAsOne() throws {
    let result = try ToolRunner.shell(
      "cat <(decode fashion-mnist --split test --limit 7 -q) <(decode fashion-mnist --split train --limit 5 -q) | view --json")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.jsonObject["records"] as? Int == 12)
  }

  @Test func schemaChangeIsRefused() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let result = try ToolRunner.shell(
      "cat <(decode fashion-mnist --limit 2 -q) <(decode images \"$0\" --size 8 -q) | view --info",
      [sharedData("png/pngsuite")])
    #expect(result.status == 65)
    #expect(result.stderr.contains("schema changes mid-stream"), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1)
  }

  @Test func closedPipeEndsQuietly() throws {
    let result = try ToolRunner.shell("decode fashion-mnist 2>err | head -c 100 > /dev/null; echo ${PIPESTATUS[0]}; cat err")
    #expect(String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").first == "0")
    #expect(String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").count == 1, "decode wrote to stderr")
  }

  @Test func outputFileIsWrittenAtomically() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let good = folder.appendingPathComponent("good.us").path
    #expect(try ToolRunner.run("decode", ["fashion-mnist", "--limit", "3", "-q", "-o", good]).status == 0)
    #expect(try ToolRunner.run("view", ["--json", good]).stdout.jsonObject["records"] as? Int == 3)
    // A folder whose second image is not an image: the run fails and leaves no file.
    let images = folder.appendingPathComponent("images")
    try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: sharedData("png/pngsuite/basn0g08.png"), toPath: images.appendingPathComponent("a.png").path)
    try Data("not a png".utf8).write(to: images.appendingPathComponent("b.png"))
    let bad = folder.appendingPathComponent("bad.us").path
    let result = try ToolRunner.run("decode", ["images", images.path, "-q", "-o", bad])
    #expect(result.status == 65)
    #expect(result.stderr.contains("b.png: not a PNG or JPEG file"), "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: bad))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["good.us", "images"])
  }

  @Test func contactSheetIsAPNG() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let sheet = folder.appendingPathComponent("sheet.png").path
    let result = try ToolRunner.shell("decode fashion-mnist --limit 500 -q | view -o \"$0\" --by label --columns 5", [sheet])
    #expect(result.status == 0, "\(result.stderr)")
    let bytes = try Data(contentsOf: URL(fileURLWithPath: sheet))
    #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    // 10 rows of 28-pixel tiles with 1-pixel gaps: 10·29 − 1 = 289 high, 5·29 − 1 = 144 wide.
    let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
    let height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
    #expect(width == 144 && height == 289)
  }
}

/// A path under ../shared/data beside the repository.
func sharedData(_ path: String) -> String {
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/data/" + path).path
}
