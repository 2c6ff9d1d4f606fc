import Foundation
import Shared
import Testing
import ToolRunner

/// embed end to end: training with its log, checkpoints, resumption and interruption; the
/// model file; embedding with a model, raw values and PCA; bad input.
@Suite struct EmbedToolTests {
  /// A tiny network, so that the debug build trains in seconds.
  static let tiny = "--widths 4,8 --features 16 --head 16,8"

  /// Every value of the stream in `file` of `folder`, record after record.
  static func values(_ file: String, in folder: URL) throws -> [Float] {
    let reader = try StreamReader(path: folder.appendingPathComponent(file).path)
    var values: [Float] = []
    while let batch = try reader.next() {
      for i in 0..<batch.count { values += batch.payloadValues(of: i, schema: reader.schema) }
    }
    return values
  }

  /// The largest difference between two lists of values of the same length.
  static func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
    a.count == b.count && !a.isEmpty ? zip(a, b).map { abs($0 - $1) }.max()! : .infinity
  }

  @Test func resumingContinuesExactlyAndCheckpointsEmbed() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let script = """
      set -e
      decode fashion-mnist --split test --limit 96 -q > in.us
      augment in.us --views 2 --epochs 2 --shuffle --seed 1 -q > full.us
      # The first epoch alone: the same views (each depends on seed, epoch and position).
      augment in.us --views 2 --epochs 1 --shuffle --seed 1 -q > first.us
      embed train full.us \(Self.tiny) --batch 16 --steps 12 --threads 2 -q -o straight.bin
      embed train first.us \(Self.tiny) --batch 16 --steps 12 --threads 2 -q -o cut.bin --checkpoint c.ckpt 2> cut.err
      grep -c "ended at step 6 of 12" cut.err
      embed train full.us \(Self.tiny) --batch 16 --steps 12 --threads 2 -q -o resumed.bin --resume c.ckpt
      embed -m straight.bin in.us -q -o "$0/straight.us"
      embed -m resumed.bin in.us -q -o "$0/resumed.us"
      # A checkpoint embeds like a model.
      embed -m c.ckpt in.us -q | view --json
      """
    let result = try ToolRunner.shell(script, [folder.path])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
    #expect(lines.first == "1", "\(result.stdout)")
    let (straight, resumed) = (try Self.values("straight.us", in: folder), try Self.values("resumed.us", in: folder))
    #expect(straight.count == 96 * 16 && straight == resumed)
    let report = Data(lines.last.map { String($0) }!.utf8).jsonObject
    #expect(report["records"] as? Int == 96 && report["shape"] as? [Int] == [16], "\(report)")
  }

  /// The mean loss of a log's rows in `range` (fractions of the run).
  func meanLoss(_ csv: String, _ range: ClosedRange<Double>) -> Double {
    let rows = csv.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[2])! }
    let part = rows[Int(range.lowerBound * Double(rows.count))..<Int(range.upperBound * Double(rows.count))]
    return part.reduce(0, +) / Double(part.count)
  }

  /// SimCLR's loss on a small set; MoCo's hardly moves in so few steps (its negatives
  /// improve with the network), so its fall is shown by the shipped model's log instead.
  @Test func lossFallsOnRealData() throws {
    let script = """
      set -e
      decode fashion-mnist --split train --limit 512 -q | augment --views 2 --epochs 6 --shuffle --crop-scale 0.2,1 -q \
        | embed train --method simclr \(Self.tiny) --batch 32 --log log.csv -q -o m.bin
      cat log.csv
      """
    let result = try ToolRunner.shell(script)
    #expect(result.status == 0, "\(result.stderr)")
    let csv = String(decoding: result.stdout, as: UTF8.self)
    #expect(csv.hasPrefix("step,epoch,loss,learning_rate,images_per_second,seconds\n"))
    #expect(csv.split(separator: "\n").count == 1 + 6 * 512 / 32)
    #expect(meanLoss(csv, 0.9...1) < meanLoss(csv, 0...0.1) - 0.05, "\(csv)")
  }

  @Test func modelFileLoadsAsSafeTensors() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("m.bin").path
    let result = try ToolRunner.shell(
      "decode fashion-mnist --limit 64 -q | augment --views 2 --epochs 1 --shuffle -q | embed train \(Self.tiny) --batch 32 -q -o \"$0\"",
      [path])
    #expect(result.status == 0, "\(result.stderr)")
    let file = try SafeTensors(bytes: FileInput(path: path).readToEnd(), name: path)
    #expect(file.tensors["encoder.conv1.weight"]?.shape == [4, 1, 3, 3])
    #expect(file.tensors["encoder.fc.weight"]?.shape == [16, 8 * 12 * 12])
    #expect(file.tensors["head.2.weight"]?.shape == [8, 16])
    #expect(file.tensors.count == 10)
    #expect(file.metadata["format"] == "unsup-embed-model-1")
    let architecture = Data(file.metadata["architecture"]!.utf8).jsonObject
    #expect(architecture["encoder"] as? String == "convnet" && architecture["widths"] as? [Int] == [4, 8])
    let normalization = Data(file.metadata["normalization"]!.utf8).jsonObject
    #expect((normalization["std"] as? [Double])?.first ?? 0 > 0.1)
    let recipe = Data(file.metadata["recipe"]!.utf8).jsonObject
    #expect(recipe["method"] as? String == "moco" && recipe["batch"] as? Int == 32 && recipe["steps"] as? Int == 2)
    // The model and its checkpoint, and no temporary file.
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["m.bin", "m.bin.ckpt"])
  }

  /// The small ResNet on 32 × 32 views: trained by SimCLR on two threads, saved with its
  /// BatchNorm statistics, and embedding in evaluation mode (an image's vector does not
  /// depend on the rest of its batch).
  @Test func resnetTrainsAndEmbeds() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("r.bin").path
    let script = """
      set -e
      decode fashion-mnist --split test --limit 48 -q | augment --preset none --size 32 --views 1 -q > in.us
      augment in.us --views 2 --epochs 2 --shuffle -q | embed train --arch resnet --widths 4,8 --head 8,8 \\
        --method simclr --batch 8 --threads 2 -q -o "$0"
      embed -m "$0" in.us -q -o "$1/all.us"
      decode fashion-mnist --split test --limit 5 -q | augment --preset none --size 32 --views 1 -q \\
        | embed -m "$0" -q -o "$1/five.us"
      """
    let result = try ToolRunner.shell(script, [path, folder.path])
    #expect(result.status == 0, "\(result.stderr)")
    let (all, five) = (try Self.values("all.us", in: folder), try Self.values("five.us", in: folder))
    #expect(all.count == 48 * 8)
    #expect(Self.largestDifference(Array(all.prefix(5 * 8)), five) < 1e-5)
    let file = try SafeTensors(bytes: FileInput(path: path).readToEnd(), name: path)
    #expect(file.tensors["encoder.layer2.0.downsample.0.weight"]?.shape == [8, 4, 1, 1])
    #expect(file.tensors["encoder.bn1.running_var"]?.shape == [4])
    #expect(file.tensors["encoder.bn1.running_var"]?.values.allSatisfy { $0 != 1 } == true)
  }

  /// RGB images, and views that augment has already normalised (f32): the model's
  /// normalisation is measured per channel and applied to either kind of input.
  @Test func rgbAndNormalizedViews() throws {
    let script = """
      set -e
      decode images "$0" --size 32x32 --channels 3 -q > rgb.us
      augment rgb.us --views 2 --epochs 2 --shuffle --normalize 0.5,0.5,0.5,0.25,0.25,0.25 -q \\
        | embed train --arch resnet --widths 4,8 --head none --batch 8 --steps 3 -q -o m.bin
      embed -m m.bin rgb.us -q | view --json
      """
    let result = try ToolRunner.shell(script, [sharedData("png/pngsuite")])
    #expect(result.status == 0, "\(result.stderr)")
    let report = result.stdout.jsonObject
    #expect(report["shape"] as? [Int] == [8] && report["records"] as? Int == 51, "\(report)")
    #expect(report["non_finite"] as? Int == 0)
  }

  @Test func embeddingKeepsRecordsAndAveragesViews() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let script = """
      set -e
      decode fashion-mnist --split test --limit 100 -q > in.us
      augment in.us --views 2 --epochs 1 -q | embed train \(Self.tiny) --batch 4 --steps 1 -q -o m.bin
      embed -m m.bin in.us -q | view --json
      embed -m m.bin in.us -q -o "$0/single.us"
      # Three identical views of each image average to the image's own vector; 300 views
      # come in two batches, so an id's views can straddle them.
      augment in.us --preset none --views 3 -q | embed -m m.bin --average-views -q -o "$0/averaged.us"
      augment in.us --views 3 -q | embed -m m.bin --average-views --l2 -q -o "$0/unit.us"
      embed -m m.bin in.us --f16 -q | view --json
      embed -m m.bin in.us --layer head -q | view --json
      """
    let result = try ToolRunner.shell(script, [folder.path])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map { Data($0.utf8) }
    #expect(lines.count == 3, "\(result.stdout)")
    let plain = lines[0].jsonObject
    #expect(plain["records"] as? Int == 100 && plain["shape"] as? [Int] == [16] && plain["dtype"] as? String == "f32")
    #expect((plain["labels"] as? [String: Any])?.isEmpty == false)
    #expect(lines[1].jsonObject["dtype"] as? String == "f16")
    #expect(lines[2].jsonObject["shape"] as? [Int] == [8])
    let (single, averaged) = (try Self.values("single.us", in: folder), try Self.values("averaged.us", in: folder))
    #expect(Self.largestDifference(single, averaged) < 1e-5)
    // Unit length survives the averaging of different views.
    let unit = try Self.values("unit.us", in: folder)
    #expect(unit.count == 100 * 16)
    for i in 0..<100 {
      let norm = unit[i * 16..<(i + 1) * 16].reduce(Float(0)) { $0 + $1 * $1 }
      #expect(abs(norm - 1) < 1e-5, "record \(i): \(norm)")
    }
  }

  @Test func rawAndPCA() throws {
    let folder = try ToolRunner.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let script = """
      set -e
      decode fashion-mnist --split test --limit 300 -q > in.us
      embed --method raw in.us -q | view --json
      embed --method pca --dims 5 --save p.bin in.us -q -o "$0/fitted.us"
      embed -m p.bin in.us -q -o "$0/applied.us"
      embed --method pca --dims 5 --whiten --fit --save w.bin in.us -q
      embed -m w.bin in.us -q | view --json
      """
    let result = try ToolRunner.shell(script, [folder.path])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map { Data($0.utf8) }
    #expect(lines.count == 2, "\(result.stdout)")
    let raw = lines[0].jsonObject
    #expect(raw["shape"] as? [Int] == [784])
    #expect((raw["max"] as? Double ?? 2) <= 1 && (raw["max"] as? Double ?? 0) > 0.9)
    let (fitted, applied) = (try Self.values("fitted.us", in: folder), try Self.values("applied.us", in: folder))
    #expect(fitted.count == 300 * 5 && fitted == applied)
    // Whitened components have mean 0 and variance 1 (n − 1), so the values' sd is about 1.
    let whitened = lines[1].jsonObject
    #expect(abs((whitened["std"] as? Double ?? 0) - 1) < 0.01, "\(whitened)")
    #expect(abs(whitened["mean"] as? Double ?? 1) < 1e-3, "\(whitened)")
  }

  @Test func interruptedTrainingLeavesAUsableCheckpoint() throws {
    let script = """
      decode fashion-mnist --split test --limit 64 -q > in.us
      augment in.us --views 2 --epochs 400 --shuffle -q > views.us
      # The full-sized network, so that it is still training when interrupted.
      embed train views.us --batch 16 -q -o m.bin --checkpoint c.ckpt --log log.csv 2> err &
      pid=$!
      # Once a few steps are logged the run is well under way.
      for i in $(seq 600); do [ "$(wc -l < log.csv 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.1; done
      kill -INT $pid
      wait $pid
      echo "status $?"
      cat err
      test -e m.bin || echo "no model"
      embed -m c.ckpt in.us -q | view --json
      """
    let result = try ToolRunner.shell(script)
    let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
    #expect(lines.first == "status 130", "\(result.stdout) \(result.stderr)")
    #expect(lines.dropFirst().first?.contains("interrupted at step") == true, "\(lines)")
    #expect(lines.contains("no model"))
    #expect(Data(lines.last!.utf8).jsonObject["records"] as? Int == 64, "\(lines)")
    #expect(Data(lines.last!.utf8).jsonObject["shape"] as? [Int] == [128], "\(lines)")
  }

  @Test func badInputGetsOneLine() throws {
    let cases: [(String, String)] = [
      ("embed -m missing.bin in.us", "missing.bin"),
      ("echo nonsense > x.bin; embed -m x.bin in.us", "x.bin"),
      ("embed -m m.bin big.us", "takes 1×28×28 images"),
      ("embed train in.us --steps 2 -o n.bin", "two views"),
      ("augment in.us --views 2 -q | embed train -o n.bin", "--steps"),
      ("augment in.us --views 2 -q | embed train --steps 2 --widths 8,8 --resume m.bin -o n.bin", "another network"),
      ("augment in.us --views 2 -q | embed train --steps 2 --head none \(Self.tiny.replacingOccurrences(of: "--head 16,8", with: "")) --resume m.bin -o n.bin", "not a checkpoint"),
      ("embed -m m.bin big.us > out.us; test -s out.us && echo 'wrote to stdout' >&2; false", "takes 1×28×28 images"),
      ("embed train in.us --batch 1 -o n.bin", "--batch"),
      ("augment in.us --views 2 -q | embed train --steps 1 --batch 65536 --queue 1048576 -o n.bin", "of memory"),
      ("""
        augment in.us --views 2 --epochs 2 -q > v.us
        embed train v.us --steps 4 --batch 4 \(Self.tiny) -q -o c.bin
        embed train v.us --steps 4 --batch 2 \(Self.tiny) -q -o d.bin --resume c.bin.ckpt
        """, "had --batch 4"),
      ("embed --method pca in.us", "--dims"),
      ("embed -m m.bin --layer head in.us", "no projection head"),
    ]
    let setup = """
      decode fashion-mnist --split test --limit 8 -q > in.us
      augment in.us --preset none --size 32 -q > big.us
      augment in.us --views 2 -q | embed train --steps 1 --batch 4 --head none \(Self.tiny.replacingOccurrences(of: "--head 16,8", with: "")) -q -o m.bin
      """
    try Self.expectOneLineFailures(cases, after: setup)
  }

  /// Runs each command after `setup` in a fresh shell: it must fail with one line on
  /// stderr, from embed, holding the expected text.
  static func expectOneLineFailures(
    _ cases: [(command: String, expected: String)], after setup: String, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    for (command, expected) in cases {
      let result = try ToolRunner.shell(setup + "\n" + command)
      #expect(result.status != 0, "\(command)", sourceLocation: sourceLocation)
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1 && result.stderr.contains(expected), "\(command): \(result.stderr)", sourceLocation: sourceLocation)
      #expect(lines.first?.hasPrefix("embed: ") == true, "\(command): \(result.stderr)", sourceLocation: sourceLocation)
    }
  }
}
