import Foundation
import Network
import Shared
import Testing

/// The losses against central differences and hand-worked cases; the optimisers, the
/// schedule and the arena against values worked out by hand.
@Suite struct TrainingPartsTests {
  func random(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
    (0..<count).map { _ in 2 * rng.nextUnitFloat() - 1 }
  }

  func unitRows(_ count: Int, _ d: Int, _ rng: inout SplitMix64) -> [Float] {
    var rows = random(count * d, &rng)
    for i in 0..<count {
      let length = (0..<d).reduce(Float(0)) { $0 + rows[i * d + $1] * rows[i * d + $1] }.squareRoot()
      for j in 0..<d { rows[i * d + j] /= length }
    }
    return rows
  }

  func infoNCE(_ q: [Float], _ k: [Float], _ queue: [Float], batch: Int, queued: Int, d: Int, t: Float) -> (Double, [Float]) {
    var logits = [Float](repeating: 0, count: batch * (1 + queued))
    var gradient = [Float](repeating: 0, count: q.count)
    let loss = InfoNCE.loss(
      queries: q, keys: k, queue: queue, batch: batch, queued: queued, dimension: d, temperature: t, logits: &logits,
      queryGradient: &gradient)
    return (loss, gradient)
  }

  /// One query, one key, one queued key, in 1-d, τ = 1: logits (1, −1), so the loss is
  /// log(1 + e⁻²) and dL/dq = (p₀ − 1)·1 + p₁·(−1) = −2 p₁ with p₁ = e⁻¹ / (e + e⁻¹).
  @Test func infoNCEKnownAnswer() {
    let (loss, gradient) = infoNCE([1], [1], [-1], batch: 1, queued: 1, d: 1, t: 1)
    let p1 = exp(-1.0) / (exp(1.0) + exp(-1.0))
    #expect(abs(loss - log(1 + exp(-2.0))) < 1e-6)
    #expect(abs(Double(gradient[0]) + 2 * p1) < 1e-6)
    // With no negatives there is nothing to tell apart: loss and gradient 0.
    let (alone, none) = infoNCE([0.6, 0.8], [0.8, 0.6], [], batch: 1, queued: 0, d: 2, t: 0.2)
    #expect(abs(alone) < 1e-7 && none.allSatisfy { abs($0) < 1e-7 })
  }

  @Test func infoNCEGradient() {
    var rng = SplitMix64(seed: 3)
    let (batch, queued, d) = (5, 7, 6)
    var q = unitRows(batch, d, &rng)
    let (k, queue) = (unitRows(batch, d, &rng), unitRows(queued, d, &rng))
    let (_, gradient) = infoNCE(q, k, queue, batch: batch, queued: queued, d: d, t: 0.2)
    for i in 0..<q.count {
      let saved = q[i]
      q[i] = saved + 1e-3
      let up = infoNCE(q, k, queue, batch: batch, queued: queued, d: d, t: 0.2).0
      q[i] = saved - 1e-3
      let down = infoNCE(q, k, queue, batch: batch, queued: queued, d: d, t: 0.2).0
      q[i] = saved
      let numeric = (up - down) / 2e-3
      #expect(abs(numeric - Double(gradient[i])) < 2e-3, "q[\(i)]: \(gradient[i]) vs \(numeric)")
    }
  }

  func ntXent(_ z: [Float], count: Int, d: Int, t: Float) -> (Double, [Float]) {
    var similarities = [Float](repeating: 0, count: count * count)
    var gradient = [Float](repeating: 0, count: z.count)
    let loss = NTXent.loss(z, count: count, dimension: d, temperature: t, similarities: &similarities, gradient: &gradient)
    return (loss, gradient)
  }

  @Test func ntXentGradientAndKnownAnswers() {
    // One pair: the partner is the only candidate, so the loss and gradient are 0.
    let (single, none) = ntXent([1, 0, 0.6, 0.8], count: 2, d: 2, t: 0.5)
    #expect(abs(single) < 1e-7 && none.allSatisfy { abs($0) < 1e-6 })
    // Two pairs in 1-d, τ = 1: z = (1, 1, 1, −1). Vector 0 sees logits 1 (partner), 1, −1:
    // −log(e / (2e + e⁻¹)); vector 1 the same; vector 2 sees 1, 1 and its partner at −1:
    // −log(e⁻¹ / (2e + e⁻¹)); vector 3 sees −1 three times: log 3.
    let (loss, _) = ntXent([1, 1, 1, -1], count: 4, d: 1, t: 1)
    let denominator = 2 * exp(1.0) + exp(-1.0)
    let expected = (2 * -log(exp(1.0) / denominator) - log(exp(-1.0) / denominator) + log(3.0)) / 4
    #expect(abs(loss - expected) < 1e-6, "\(loss) vs \(expected)")
    var rng = SplitMix64(seed: 4)
    let (count, d) = (8, 5)
    var z = unitRows(count, d, &rng)
    let (_, gradient) = ntXent(z, count: count, d: d, t: 0.5)
    for i in 0..<z.count {
      let saved = z[i]
      z[i] = saved + 1e-3
      let up = ntXent(z, count: count, d: d, t: 0.5).0
      z[i] = saved - 1e-3
      let down = ntXent(z, count: count, d: d, t: 0.5).0
      z[i] = saved
      let numeric = (up - down) / 2e-3
      #expect(abs(numeric - Double(gradient[i])) < 2e-3, "z[\(i)]: \(gradient[i]) vs \(numeric)")
    }
  }

  /// Two SGD steps by hand: g′ = 0.5 + 0.01 w, v = 0.9 v + g′, w −= 0.1 v.
  @Test func sgdMatchesTheHandComputation() {
    var (w, v): ([Float], [Float]) = ([1], [0])
    SGD.step(&w, gradients: [0.5], velocity: &v, count: 1, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
    #expect(abs(v[0] - 0.51) < 1e-6 && abs(w[0] - 0.949) < 1e-6)
    SGD.step(&w, gradients: [0.5], velocity: &v, count: 1, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
    #expect(abs(v[0] - 0.96849) < 1e-5 && abs(w[0] - 0.852151) < 1e-5)
  }

  /// AdamW's first step moves every weight by the learning rate (the corrected moments
  /// are g and g²), after the decay w (1 − η λ).
  @Test func adamWMatchesTheHandComputation() {
    var (w, m, v): ([Float], [Float], [Float]) = ([1, -2], [0, 0], [0, 0])
    AdamW.step(&w, gradients: [0.5, -3], firstMoment: &m, secondMoment: &v, count: 2, step: 1, learningRate: 0.1, weightDecay: 0.01)
    #expect(abs(w[0] - (0.999 - 0.1)) < 1e-5 && abs(w[1] - (-1.998 + 0.1)) < 1e-5, "\(w)")
    #expect(abs(m[0] - 0.05) < 1e-7 && abs(v[1] - 0.009) < 1e-6)
  }

  @Test func scheduleWarmsUpThenFollowsACosine() {
    let schedule = LearningRateSchedule(base: 1, warmup: 10, total: 110)
    #expect(abs(schedule.rate(at: 0) - 0.1) < 1e-12 && abs(schedule.rate(at: 9) - 1) < 1e-12)
    #expect(abs(schedule.rate(at: 10) - 1) < 1e-12 && abs(schedule.rate(at: 60) - 0.5) < 1e-12)
    #expect(abs(schedule.rate(at: 110)) < 1e-12 && abs(schedule.rate(at: 500)) < 1e-12)
  }

  @Test func arenaLaysSlicesOutInOrder() {
    let parameters = Arena()
    parameters.add("conv1.weight", shape: [32, 1, 3, 3])
    parameters.add("conv1.bias", shape: [32])
    #expect(parameters.count == 320)
    let bias = parameters.slice("conv1.bias")
    #expect(bias?.offset == 288 && bias?.count == 32 && bias?.shape == [32])
    parameters.pointer("conv1.bias")[0] = 5
    #expect(parameters.base[288] == 5)
    let gradients = parameters.sameLayout()
    #expect(gradients.slices == parameters.slices && gradients.base[288] == 0)
  }
}

/// Parameters to a safetensors file and back, and the refusals of a file for another network.
@Suite struct ArenaFileTests {
  func network() -> Arena {
    let arena = Arena()
    arena.add("fc.weight", shape: [2, 3])
    arena.add("fc.bias", shape: [2])
    for i in 0..<arena.count { arena.base[i] = Float(i) + 0.5 }
    return arena
  }

  @Test func roundTrip() throws {
    let original = network()
    let bytes = original.safeTensors(metadata: ["arch": "test"]).encoded()
    let file = try SafeTensors(bytes: bytes, name: "m.safetensors")
    #expect(file.metadata["arch"] == "test" && file.tensors["fc.weight"]?.shape == [2, 3])
    let copy = original.sameLayout()
    try copy.load(file, name: "m.safetensors")
    #expect(Array(UnsafeBufferPointer(start: copy.base, count: copy.count)) == (0..<8).map { Float($0) + 0.5 })
  }

  @Test func otherNetworksAreRefused() throws {
    var file = network().safeTensors()
    file.tensors["fc.bias"] = ([3], [0, 0, 0])
    func refusal(_ file: SafeTensors) -> String {
      let error = #expect(throws: Failure.self) { try network().load(file, name: "m") }
      return error.map { "\($0)" } ?? "no error"
    }
    #expect(refusal(file).contains("m: tensor fc.bias has shape [3], expected [2]"))
    var missing = network().safeTensors()
    missing.tensors["fc.bias"] = nil
    #expect(refusal(missing).contains("no tensor named fc.bias"))
    var extra = network().safeTensors()
    extra.tensors["conv1.weight"] = ([1], [0])
    #expect(refusal(extra).contains("conv1.weight is not part of this network"))
    // Nothing is half loaded: a refused file leaves the arena as it was.
    let arena = network()
    _ = try? arena.load(file, name: "m")
    #expect(arena.base[0] == 0.5)
  }
}
