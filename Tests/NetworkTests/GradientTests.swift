import Network
import Shared
import Testing

/// Every layer's backward against central differences of a scalar loss L = Σ r · y, with
/// r random, so that each output weighs in differently.
@Suite struct GradientTests {
  var rng = SplitMix64(seed: 11)

  mutating func random(_ count: Int, scale: Float = 1) -> [Float] {
    (0..<count).map { _ in scale * (2 * rng.nextUnitFloat() - 1) }
  }

  /// Compares `analytic` with (L(v + h) − L(v − h)) / 2h at every index of `values` (or
  /// every `stride`-th), where `loss` reads `values`.
  func expectGradient(
    _ name: String, _ values: inout [Float], _ analytic: [Float], stride: Int = 1, h: Float = 1e-2,
    tolerance: Double = 2e-2, loss: ([Float]) -> Double
  ) {
    for i in Swift.stride(from: 0, to: values.count, by: stride) {
      let saved = values[i]
      values[i] = saved + h
      let up = loss(values)
      values[i] = saved - h
      let down = loss(values)
      values[i] = saved
      let numeric = (up - down) / (2 * Double(h))
      let error = abs(numeric - Double(analytic[i]))
      #expect(error <= tolerance * max(1, abs(numeric)), "\(name)[\(i)]: analytic \(analytic[i]), numeric \(numeric)")
    }
  }

  func dot(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
  }

  @Test mutating func conv2d() {
    for (stride, padding) in [(1, 0), (2, 1), (1, 2)] {
      let shape = Conv2dShape(inChannels: 2, outChannels: 3, kernel: 3, stride: stride, padding: padding, inHeight: 6, inWidth: 5)
      let batch = 2
      var input = random(batch * shape.inputCount)
      var weight = random(shape.weightCount, scale: 0.5)
      var bias = random(shape.outChannels)
      let r = random(batch * shape.outputCount)
      var columns = [Float](repeating: 0, count: shape.columnCount)
      func run(_ input: [Float], _ weight: [Float], _ bias: [Float]) -> [Float] {
        var output = [Float](repeating: 0, count: batch * shape.outputCount)
        Conv2d.forward(input, batch: batch, shape, weight: weight, bias: bias, columns: &columns, into: &output)
        return output
      }
      var dInput = [Float](repeating: 0, count: input.count)
      var dWeight = [Float](repeating: 0, count: weight.count)
      var dBias = [Float](repeating: 0, count: bias.count)
      Conv2d.backward(
        r, input: input, batch: batch, shape, weight: weight, columns: &columns, inputGradient: &dInput,
        weightGradient: &dWeight, biasGradient: &dBias)
      let (w, b, x) = (weight, bias, input)
      expectGradient("conv input s\(stride) p\(padding)", &input, dInput) { dot(run($0, w, b), r) }
      expectGradient("conv weight", &weight, dWeight) { dot(run(x, $0, b), r) }
      expectGradient("conv bias", &bias, dBias) { dot(run(x, w, $0), r) }
    }
  }

  /// A known answer too: a 1×1 kernel of weight 2 and bias 1 maps every pixel to 2x + 1,
  /// and a 2×2 kernel of ones sums each window.
  @Test func conv2dKnownAnswers() {
    let input: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    var columns = [Float](repeating: 0, count: 64)
    var output = [Float](repeating: 0, count: 9)
    let pointwise = Conv2dShape(inChannels: 1, outChannels: 1, kernel: 1, inHeight: 3, inWidth: 3)
    Conv2d.forward(input, batch: 1, pointwise, weight: [2], bias: [1], columns: &columns, into: &output)
    #expect(output == input.map { 2 * $0 + 1 })
    let window = Conv2dShape(inChannels: 1, outChannels: 1, kernel: 2, inHeight: 3, inWidth: 3)
    var sums = [Float](repeating: 0, count: 4)
    Conv2d.forward(input, batch: 1, window, weight: [1, 1, 1, 1], bias: [0], columns: &columns, into: &sums)
    #expect(sums == [12, 16, 24, 28])
  }

  @Test mutating func batchNorm() {
    let (batch, channels, pixels) = (3, 2, 5)
    var input = random(batch * channels * pixels, scale: 2)
    var scale = random(channels).map { $0 + 1.5 }
    var shift = random(channels)
    let r = random(input.count)
    func run(_ input: [Float], _ scale: [Float], _ shift: [Float]) -> [Float] {
      var (mean, inverse) = ([Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels))
      var (runningMean, runningVariance) = ([Float](repeating: 0, count: channels), [Float](repeating: 1, count: channels))
      var output = [Float](repeating: 0, count: input.count)
      BatchNorm.forwardTraining(
        input, batch: batch, channels: channels, pixels: pixels, scale: scale, shift: shift, mean: &mean,
        inverseDeviation: &inverse, runningMean: &runningMean, runningVariance: &runningVariance, momentum: 0.1,
        into: &output)
      return output
    }
    var (mean, inverse) = ([Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels))
    var (runningMean, runningVariance) = ([Float](repeating: 0, count: channels), [Float](repeating: 1, count: channels))
    var output = [Float](repeating: 0, count: input.count)
    BatchNorm.forwardTraining(
      input, batch: batch, channels: channels, pixels: pixels, scale: scale, shift: shift, mean: &mean,
      inverseDeviation: &inverse, runningMean: &runningMean, runningVariance: &runningVariance, momentum: 0.1,
      into: &output)
    // Each channel of the output has mean β and standard deviation |γ| (up to ε).
    for c in 0..<channels {
      let values = (0..<batch).flatMap { n in (0..<pixels).map { output[(n * channels + c) * pixels + $0] } }
      let m = values.reduce(0, +) / Float(values.count)
      let sd = (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Float(values.count)).squareRoot()
      #expect(abs(m - shift[c]) < 1e-4 && abs(sd - abs(scale[c])) < 1e-3)
      // Running statistics: 0.9 · initial + 0.1 · batch (the variance unbiased).
      let inputs = (0..<batch).flatMap { n in (0..<pixels).map { input[(n * channels + c) * pixels + $0] } }
      let mu = inputs.reduce(0, +) / Float(inputs.count)
      let unbiased = inputs.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Float(inputs.count - 1)
      #expect(abs(runningMean[c] - 0.1 * mu) < 1e-5 && abs(runningVariance[c] - (0.9 + 0.1 * unbiased)) < 1e-4)
    }
    var (dInput, dScale, dShift) = ([Float](repeating: 0, count: input.count), [Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels))
    BatchNorm.backward(
      r, input: input, batch: batch, channels: channels, pixels: pixels, scale: scale, mean: mean,
      inverseDeviation: inverse, inputGradient: &dInput, scaleGradient: &dScale, shiftGradient: &dShift)
    let (x, g, b) = (input, scale, shift)
    expectGradient("bn input", &input, dInput, h: 1e-2) { dot(run($0, g, b), r) }
    expectGradient("bn scale", &scale, dScale) { dot(run(x, $0, b), r) }
    expectGradient("bn shift", &shift, dShift) { dot(run(x, g, $0), r) }
  }

  /// Rows of 8 or more windows take the SIMD path (with an overlapping last block when
  /// the count is not a multiple of 8); it must agree with the rule written plainly,
  /// ties included (values on a coarse grid), for every width and for k = 3.
  @Test mutating func maxPoolMatchesPlainRule() {
    for (height, width, k) in [(4, 16, 2), (6, 24, 2), (2, 26, 2), (5, 37, 2), (6, 27, 3)] {
      let planes = 3
      let input = random(planes * height * width).map { ($0 * 4).rounded() / 4 }
      let (outHeight, outWidth) = (height / k, width / k)
      var output = [Float](repeating: 0, count: planes * outHeight * outWidth)
      var argmax = [Int32](repeating: -1, count: output.count)
      MaxPool.forward(input, planes: planes, height: height, width: width, kernel: k, into: &output, argmax: &argmax)
      for p in 0..<planes {
        for y in 0..<outHeight {
          for x in 0..<outWidth {
            var best = (y * k) * width + x * k
            for i in 0..<k {
              for j in 0..<k where input[p * height * width + (y * k + i) * width + x * k + j] > input[p * height * width + best] {
                best = (y * k + i) * width + x * k + j
              }
            }
            let out = (p * outHeight + y) * outWidth + x
            #expect(argmax[out] == Int32(best) && output[out] == input[p * height * width + best], "\(width) \(k) \(p) \(y) \(x)")
          }
        }
      }
    }
  }

  @Test mutating func reluAndPools() {
    // Inputs kept away from 0 and from ties, where the functions have no derivative.
    var input = random(2 * 3 * 4 * 6).map { $0 < 0 ? $0 - 0.1 : $0 + 0.1 }
    let r = random(input.count)
    var output = [Float](repeating: 0, count: input.count)
    ReLU.forward(input, count: input.count, into: &output)
    var dInput = [Float](repeating: 0, count: input.count)
    ReLU.backward(r, output: output, count: input.count, into: &dInput)
    expectGradient("relu", &input, dInput, h: 1e-3) { x in
      var y = [Float](repeating: 0, count: x.count)
      ReLU.forward(x, count: x.count, into: &y)
      return dot(y, r)
    }
    // Max pool 2 over 6 planes of 4 × 6.
    let (planes, height, width) = (6, 4, 6)
    let pooledCount = planes * 2 * 3
    let rp = random(pooledCount)
    func pool(_ x: [Float]) -> ([Float], [Int32]) {
      var y = [Float](repeating: 0, count: pooledCount)
      var argmax = [Int32](repeating: 0, count: pooledCount)
      MaxPool.forward(x, planes: planes, height: height, width: width, kernel: 2, into: &y, argmax: &argmax)
      return (y, argmax)
    }
    // Distinct values 0.01 apart, so that no window's maximum changes within ±h.
    var order = Array(0..<input.count)
    rng.shuffle(&order)
    input = order.map { Float($0) * 0.01 - 0.7 }
    let (pooled, argmax) = pool(input)
    #expect(pooled[0] == [input[0], input[1], input[6], input[7]].max())
    MaxPool.backward(rp, argmax: argmax, planes: planes, height: height, width: width, kernel: 2, into: &dInput)
    expectGradient("maxpool", &input, dInput, h: 1e-3) { dot(pool($0).0, rp) }
    // Global average pool.
    let ra = random(planes)
    var averaged = [Float](repeating: 0, count: planes)
    GlobalAveragePool.forward(input, planes: planes, pixels: height * width, into: &averaged)
    #expect(abs(averaged[1] - input[24..<48].reduce(0, +) / 24) < 1e-5)
    GlobalAveragePool.backward(ra, planes: planes, pixels: height * width, into: &dInput)
    expectGradient("gap", &input, dInput) { x in
      var y = [Float](repeating: 0, count: planes)
      GlobalAveragePool.forward(x, planes: planes, pixels: height * width, into: &y)
      return dot(y, ra)
    }
  }

  @Test mutating func linearAndL2Normalize() {
    let (batch, inputs, outputs) = (4, 7, 5)
    var input = random(batch * inputs)
    var weight = random(outputs * inputs)
    var bias = random(outputs)
    let r = random(batch * outputs)
    func run(_ x: [Float], _ w: [Float], _ b: [Float]) -> [Float] {
      var y = [Float](repeating: 0, count: batch * outputs)
      Linear.forward(x, batch: batch, inputs: inputs, outputs: outputs, weight: w, bias: b, into: &y)
      return y
    }
    // y[0][0] = b[0] + Σ x[0][i] w[0][i], worked out directly.
    let first = bias[0] + (0..<inputs).reduce(Float(0)) { $0 + input[$1] * weight[$1] }
    #expect(abs(run(input, weight, bias)[0] - first) < 1e-5)
    var (dInput, dWeight, dBias) = ([Float](repeating: 0, count: input.count), [Float](repeating: 0, count: weight.count), [Float](repeating: 0, count: outputs))
    Linear.backward(
      r, input: input, batch: batch, inputs: inputs, outputs: outputs, weight: weight, inputGradient: &dInput,
      weightGradient: &dWeight, biasGradient: &dBias)
    let (x, w, b) = (input, weight, bias)
    expectGradient("linear input", &input, dInput) { dot(run($0, w, b), r) }
    expectGradient("linear weight", &weight, dWeight) { dot(run(x, $0, b), r) }
    expectGradient("linear bias", &bias, dBias) { dot(run(x, w, $0), r) }

    var vectors = random(batch * inputs)
    let rn = random(vectors.count)
    func normalized(_ v: [Float]) -> [Float] {
      var y = [Float](repeating: 0, count: v.count)
      L2Normalize.forward(v, batch: batch, dimension: inputs, into: &y)
      return y
    }
    let unit = normalized(vectors)
    let length = (0..<inputs).reduce(Float(0)) { $0 + unit[$1] * unit[$1] }
    #expect(abs(length - 1) < 1e-5)
    var dVectors = [Float](repeating: 0, count: vectors.count)
    L2Normalize.backward(rn, input: vectors, output: unit, batch: batch, dimension: inputs, into: &dVectors)
    expectGradient("l2", &vectors, dVectors, h: 1e-3) { dot(normalized($0), rn) }
  }
}

/// The whole ConvNet: backward through every layer against central differences of
/// L = Σ r · f(x) on every parameter of a tiny network.
@Suite struct ConvNetTests {
  @Test func gradientsMatchFiniteDifferences() {
    let configuration = ConvNet.Configuration(channels: 1, height: 8, width: 8, filters1: 2, filters2: 3, outputs: 4)
    let batch = 2
    let net = ConvNet(configuration, maxBatch: batch)
    net.initialize(seed: 1)
    // 8×8 → conv 6×6 → conv 4×4 → pool 2×2: 3 · 2 · 2 = 12 features.
    #expect(net.features == 12 && net.parameters.count == 2 * 9 + 2 + 3 * 2 * 9 + 3 + 4 * 12 + 4)
    var rng = SplitMix64(seed: 2)
    let input = (0..<(batch * 64)).map { _ in rng.nextUnitFloat() }
    let r = (0..<(batch * 4)).map { _ in 2 * rng.nextUnitFloat() - 1 }
    func loss() -> Double {
      let output = net.forward(input, batch: batch)
      return (0..<r.count).reduce(0) { $0 + Double(output[$1]) * Double(r[$1]) }
    }
    _ = loss()
    net.gradients.zero()
    net.backward(r, input: input, batch: batch)
    // A ReLU or a pooling choice that flips within ±h makes the difference meaningless, so
    // nearly every parameter must agree, not all.
    let checked = agreeingParameters(net, h: 1e-2, floor: 1, loss: loss)
    #expect(checked >= net.parameters.count * 95 / 100, "\(checked) of \(net.parameters.count)")
  }
}

/// How many of `module`'s parameters have a gradient (as the last backward left it) within
/// 5% of the central difference (loss(θ + h) − loss(θ − h)) / 2h, relative to the larger of
/// `floor` and the difference.
func agreeingParameters(_ module: NetworkModule, h: Float, floor: Double, loss: () -> Double) -> Int {
  let analytic = Array(UnsafeBufferPointer(start: module.gradients.base, count: module.gradients.count))
  return agreeing(module.parameters.base, analytic, at: stride(from: 0, to: analytic.count, by: 1), h: h, floor: floor, loss: loss)
}

/// How many of `values` at `indices` have their `analytic` gradient within 5% of the
/// central difference of `loss` (which reads `values`), relative to the larger of `floor`
/// and the difference.
func agreeing(
  _ values: UnsafeMutablePointer<Float>, _ analytic: [Float], at indices: StrideTo<Int>, h: Float, floor: Double,
  loss: () -> Double
) -> Int {
  var checked = 0
  for i in indices {
    let saved = values[i]
    values[i] = saved + h
    let up = loss()
    values[i] = saved - h
    let down = loss()
    values[i] = saved
    let numeric = (up - down) / (2 * Double(h))
    if abs(numeric - Double(analytic[i])) <= 0.05 * max(floor, abs(numeric)) { checked += 1 }
  }
  return checked
}

/// The small ResNet: backward through BatchNorm, residual sums, a downsampling shortcut and
/// global average pooling against central differences, and evaluation mode.
@Suite struct ResNetTests {
  /// 2 × 9 × 9 images (odd, so stride 2 meets a ragged edge), stages of 3 and 4 filters
  /// with two blocks each: identity and 1×1 shortcuts both appear.
  static let configuration = ResNet.Configuration(channels: 2, height: 9, width: 9, widths: [3, 4], blocks: 2)

  @Test func gradientsMatchFiniteDifferences() {
    let batch = 3
    let net = ResNet(Self.configuration, maxBatch: batch)
    net.initialize(seed: 1)
    #expect(net.parameters.slice("layer2.0.downsample.0.weight")?.shape == [4, 3, 1, 1])
    #expect(net.parameters.slice("layer1.0.downsample.0.weight") == nil)
    var rng = SplitMix64(seed: 2)
    var input = (0..<(batch * net.inputSize)).map { _ in 2 * rng.nextUnitFloat() - 1 }
    let r = (0..<(batch * 4)).map { _ in 2 * rng.nextUnitFloat() - 1 }
    func loss() -> Double {
      let output = net.forward(input, batch: batch)
      return (0..<r.count).reduce(0) { $0 + Double(output[$1]) * Double(r[$1]) }
    }
    _ = loss()
    net.gradients.zero()
    var dInput = [Float](repeating: 0, count: input.count)
    net.backward(r, input: input, batch: batch, inputGradient: &dInput)
    // BatchNorm over a tiny batch bends the loss sharply: h is smaller than the ConvNet's.
    let checked = agreeingParameters(net, h: 1e-3, floor: 0.1, loss: loss)
    // The input's gradient too (the stem's backward passes it on when asked).
    let inputAgree = input.withUnsafeMutableBufferPointer { values in
      agreeing(values.baseAddress!, dInput, at: stride(from: 0, to: values.count, by: 5), h: 1e-3, floor: 0.1) {
        let output = net.forward(values.baseAddress!, batch: batch)
        return (0..<r.count).reduce(0) { $0 + Double(output[$1]) * Double(r[$1]) }
      }
    }
    #expect(inputAgree >= (input.count + 4) / 5 * 95 / 100, "\(inputAgree) inputs")
    #expect(checked >= net.parameters.count * 95 / 100, "\(checked) of \(net.parameters.count)")
  }

  /// Evaluation normalises with the running statistics, so an image's output does not
  /// depend on the rest of its batch; training does.
  @Test func evaluationIsPerImage() {
    let net = ResNet(Self.configuration, maxBatch: 2)
    net.initialize(seed: 3)
    var rng = SplitMix64(seed: 4)
    let input = (0..<(2 * net.inputSize)).map { _ in rng.nextUnitFloat() }
    // Running statistics away from their initial 0 and 1.
    for _ in 0..<5 { net.forward(input, batch: 2) }
    #expect(net.buffers.pointer("bn1.running_mean")[0] != 0)
    let together = Array(UnsafeBufferPointer(start: net.forward(input, batch: 2), count: 4))
    net.training = false
    let pair = Array(UnsafeBufferPointer(start: net.forward(input, batch: 2), count: 8))
    let alone = Array(UnsafeBufferPointer(start: net.forward(input, batch: 1), count: 4))
    #expect(zip(pair.prefix(4), alone).allSatisfy { abs($0 - $1) < 1e-5 })
    #expect(zip(pair.prefix(4), together).contains { abs($0 - $1) > 1e-3 })
  }
}

/// The autoencoder's parts: an MLP of three layers under the mean squared error against
/// its own input, its backward (parameters and input) against central differences.
@Suite struct AutoencoderTests {
  @Test func mlpUnderMeanSquaredErrorMatchesFiniteDifferences() {
    let (batch, sizes) = (3, [6, 5, 2, 6])
    let net = MLP(sizes: sizes, maxBatch: batch)
    net.initialize(seed: 4)
    #expect(net.parameters.slice("4.weight")?.shape == [6, 2] && net.parameters.count == 5 * 6 + 5 + 2 * 5 + 2 + 6 * 2 + 6)
    var rng = SplitMix64(seed: 9)
    var input = (0..<(batch * 6)).map { _ in 2 * rng.nextUnitFloat() - 1 }
    var gradient = [Float](repeating: 0, count: input.count)
    func loss(_ x: [Float]) -> Double {
      var scratch = [Float](repeating: 0, count: x.count)
      return MeanSquaredError.loss(net.forward(x, batch: batch), target: x, count: x.count, gradient: &scratch)
    }
    // Σ (y − t)² / n by hand for the forward just made.
    let output = Array(UnsafeBufferPointer(start: net.forward(input, batch: batch), count: input.count))
    let expected = zip(output, input).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(input.count)
    #expect(abs(MeanSquaredError.loss(output, target: input, count: input.count, gradient: &gradient) - expected) < 1e-7)
    net.gradients.zero()
    var inputGradient = [Float](repeating: 0, count: input.count)
    _ = net.forward(input, batch: batch)
    net.backward(gradient, input: input, batch: batch, inputGradient: &inputGradient)
    let checked = agreeingParameters(net, h: 1e-3, floor: 1e-2) { loss(input) }
    #expect(checked >= net.parameters.count * 95 / 100, "\(checked) of \(net.parameters.count)")
    // The input is both the network's input and the target: dL/dx = J_netᵀ · 2(y − x)/n − 2(y − x)/n.
    let direct = zip(inputGradient, gradient).map { $0 - $1 }
    let inputAgree = input.withUnsafeMutableBufferPointer { values in
      agreeing(values.baseAddress!, direct, at: stride(from: 0, to: values.count, by: 1), h: 1e-3, floor: 1e-2) {
        loss(Array(values))
      }
    }
    #expect(inputAgree >= input.count * 95 / 100, "\(inputAgree) of \(input.count)")
  }
}
