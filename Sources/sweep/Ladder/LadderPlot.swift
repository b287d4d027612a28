import Foundation
import SweepPrediction

/// A hand-written SVG of a ladder fit: loss against size (log–log) with the points, the
/// fitted law, its extrapolation to the targets with the bootstrap band, and the targets;
/// beside it, when there are accuracies, the loss → accuracy sigmoid.
struct LadderPlot {
    var fit: LadderFit
    var points: [LadderObservation]
    var title: String

    /// Panel geometry in SVG user units.
    private static let panelWidth = 480.0, panelHeight = 380.0
    private static let margin = (left: 70.0, right: 20.0, top: 40.0, bottom: 50.0)
    /// Points per drawn curve.
    private static let curveSamples = 60

    func render() -> String {
        let hasAccuracy = fit.accuracyLink != nil
        let width = Self.panelWidth * (hasAccuracy ? 2 : 1)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(Self.panelHeight + 30))" \
            font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="10" y="18" font-size="13">\(escape(title)): \(escape(fit.lossFormula))</text>

            """
        svg += lossPanel(originX: 0)
        if hasAccuracy { svg += accuracyPanel(originX: Self.panelWidth) }
        return svg + "</svg>\n"
    }

    // MARK: Loss panel

    /// The x variable of the loss panel and its label.
    private var xVariable: (label: String, value: (Double, Double?) -> Double) {
        switch fit.form {
        case .parameters: ("parameters N", { n, _ in n })
        case .tokens: ("tokens D", { _, d in d ?? 1 })
        case .joint, .equalExponents, .compute: ("compute C = 6·N·D (FLOPs)", { n, d in LadderCompute.flops(parameters: n, tokens: d ?? 1) })
        }
    }

    /// A curve: (N, D) along it, solid (fitted range) or dashed with a band (extrapolated).
    private struct Curve {
        var path: [(Double, Double?)]
        var extrapolated: Bool
    }

    private func curves() -> [Curve] {
        let sizes = points.map(\.parameters), tokens = points.compactMap(\.tokens)
        let targets = fit.predictions.map(\.target)
        switch fit.form {
        case .joint, .equalExponents:
            var result: [Curve] = []
            for size in Set(sizes).sorted() {
                let own = points.filter { $0.parameters == size }.compactMap(\.tokens)
                result.append(Curve(path: logSpace(own.min()!, own.max()!).map { (size, $0) }, extrapolated: false))
            }
            for target in targets {
                result.append(Curve(path: logSpace(min(tokens.min()!, target.tokens), target.tokens).map { (target.parameters, $0) }, extrapolated: true))
            }
            return result
        case .parameters:
            let high = max(sizes.max()!, targets.map(\.parameters).max() ?? 0)
            return [Curve(path: logSpace(sizes.min()!, sizes.max()!).map { ($0, nil) }, extrapolated: false),
                    Curve(path: logSpace(sizes.max()!, high).map { ($0, nil) }, extrapolated: true)]
        case .tokens:
            let high = max(tokens.max()!, targets.map(\.tokens).max() ?? 0)
            return [Curve(path: logSpace(tokens.min()!, tokens.max()!).map { (1, $0) }, extrapolated: false),
                    Curve(path: logSpace(tokens.max()!, high).map { (1, $0) }, extrapolated: true)]
        case .compute:
            // L(C) only reads C = 6·N·D, so walk C with D = 1.
            let computes = points.compactMap(\.compute)
            let high = max(computes.max()!, targets.map(\.compute).max() ?? 0)
            return [Curve(path: logSpace(computes.min()!, computes.max()!).map { ($0 / 6, 1) }, extrapolated: false),
                    Curve(path: logSpace(computes.max()!, high).map { ($0 / 6, 1) }, extrapolated: true)]
        }
    }

    private func lossPanel(originX: Double) -> String {
        let x = xVariable
        let curveList = curves()
        let tail = (1 - fit.intervalLevel) / 2
        var xs = points.map { x.value($0.parameters, $0.tokens) }
        var ys = points.map(\.loss)
        for prediction in fit.predictions {
            xs.append(x.value(prediction.target.parameters, prediction.target.tokens))
            ys += [prediction.loss.value, prediction.loss.lower, prediction.loss.upper].compactMap { $0 }
        }
        let frame = Frame(originX: originX, xRange: xs.min()!...xs.max()!, yRange: ys.min()!...ys.max()!, logX: true, logY: true)
        var svg = frame.axes(xLabel: x.label, yLabel: "loss")
        for curve in curveList {
            let line = curve.path.map { (x.value($0.0, $0.1), fit.lossLaw.loss(parameters: $0.0, tokens: $0.1) ?? .nan) }
            if curve.extrapolated, fit.bootstrapLaws.count >= 2 {
                var lower: [(Double, Double)] = [], upper: [(Double, Double)] = []
                for point in curve.path {
                    let samples = fit.bootstrapLaws.compactMap { $0.loss(parameters: point.0, tokens: point.1) }.filter(\.isFinite).sorted()
                    guard samples.count >= 2 else { continue }
                    lower.append((x.value(point.0, point.1), quantile(samples, tail)))
                    upper.append((x.value(point.0, point.1), quantile(samples, 1 - tail)))
                }
                svg += frame.polygon(lower + upper.reversed(), fill: "#f4a261", opacity: 0.25)
            }
            svg += frame.polyline(line, stroke: curve.extrapolated ? "#e76f51" : "#2a9d8f", dashed: curve.extrapolated)
        }
        for point in points {
            svg += frame.circle(x.value(point.parameters, point.tokens), point.loss, radius: 2.5, fill: "#264653")
        }
        for prediction in fit.predictions {
            let px = x.value(prediction.target.parameters, prediction.target.tokens)
            if let lower = prediction.loss.lower, let upper = prediction.loss.upper {
                svg += frame.polyline([(px, lower), (px, upper)], stroke: "#e76f51", dashed: false)
            }
            svg += frame.diamond(px, prediction.loss.value, label: "target \(LadderFitWriter.size(prediction.target.parameters))")
        }
        return svg
    }

    // MARK: Accuracy panel

    private func accuracyPanel(originX: Double) -> String {
        guard let link = fit.accuracyLink else { return "" }
        let measured = points.filter { $0.accuracy != nil }
        let tail = (1 - fit.intervalLevel) / 2
        var losses = measured.map(\.loss), accuracies = measured.map { $0.accuracy! }
        for prediction in fit.predictions {
            losses += [prediction.loss.value, prediction.loss.lower, prediction.loss.upper].compactMap { $0 }
            if let accuracy = prediction.accuracy { accuracies += [accuracy.value, accuracy.lower, accuracy.upper].compactMap { $0 } }
        }
        let frame = Frame(originX: originX, xRange: losses.min()!...losses.max()!, yRange: accuracies.min()!...accuracies.max()!, logX: false, logY: false)
        var svg = frame.axes(xLabel: "loss", yLabel: "accuracy")
        let fittedLow = measured.map(\.loss).min()!, fittedHigh = measured.map(\.loss).max()!
        let grid = (0...Self.curveSamples).map { losses.min()! + (losses.max()! - losses.min()!) * Double($0) / Double(Self.curveSamples) }
        if fit.bootstrapLinks.count >= 2 {
            var lower: [(Double, Double)] = [], upper: [(Double, Double)] = []
            for loss in grid {
                let samples = fit.bootstrapLinks.map { $0.accuracy(loss: loss) }.sorted()
                lower.append((loss, quantile(samples, tail)))
                upper.append((loss, quantile(samples, 1 - tail)))
            }
            svg += frame.polygon(lower + upper.reversed(), fill: "#f4a261", opacity: 0.25)
        }
        svg += frame.polyline(grid.filter { $0 >= fittedLow && $0 <= fittedHigh }.map { ($0, link.accuracy(loss: $0)) }, stroke: "#2a9d8f", dashed: false)
        svg += frame.polyline(grid.filter { $0 <= fittedLow }.map { ($0, link.accuracy(loss: $0)) }, stroke: "#e76f51", dashed: true)
        for point in measured { svg += frame.circle(point.loss, point.accuracy!, radius: 2.5, fill: "#264653") }
        for prediction in fit.predictions {
            guard let accuracy = prediction.accuracy else { continue }
            if let lower = accuracy.lower, let upper = accuracy.upper {
                svg += frame.polyline([(prediction.loss.value, lower), (prediction.loss.value, upper)], stroke: "#e76f51", dashed: false)
            }
            if let lower = prediction.loss.lower, let upper = prediction.loss.upper {
                svg += frame.polyline([(lower, accuracy.value), (upper, accuracy.value)], stroke: "#e76f51", dashed: false)
            }
            svg += frame.diamond(prediction.loss.value, accuracy.value, label: LadderFitWriter.size(prediction.target.parameters))
        }
        return svg
    }

    // MARK: Helpers

    private func logSpace(_ low: Double, _ high: Double) -> [Double] {
        guard high > low else { return [low] }
        return (0...Self.curveSamples).map { exp(log(low) + (log(high) - log(low)) * Double($0) / Double(Self.curveSamples)) }
    }

    private func quantile(_ sorted: [Double], _ probability: Double) -> Double {
        let position = probability * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        return sorted[below] + (position - Double(below)) * (sorted[above] - sorted[below])
    }

    /// One panel's mapping from data to SVG coordinates, and its drawing primitives.
    private struct Frame {
        var originX: Double
        var xRange: ClosedRange<Double>
        var yRange: ClosedRange<Double>
        var logX: Bool
        var logY: Bool

        init(originX: Double, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, logX: Bool, logY: Bool) {
            self.originX = originX
            self.logX = logX
            self.logY = logY
            self.xRange = Self.padded(xRange, log: logX)
            self.yRange = Self.padded(yRange, log: logY)
        }

        /// The range widened by 5% each side (in log space on log axes).
        private static func padded(_ range: ClosedRange<Double>, log isLog: Bool) -> ClosedRange<Double> {
            if isLog {
                let low = log(range.lowerBound), high = log(range.upperBound), pad = max(high - low, 0.1) * 0.05
                return exp(low - pad)...exp(high + pad)
            }
            let pad = max(range.upperBound - range.lowerBound, 1e-6) * 0.05
            return (range.lowerBound - pad)...(range.upperBound + pad)
        }

        private var left: Double { originX + LadderPlot.margin.left }
        private var right: Double { originX + LadderPlot.panelWidth - LadderPlot.margin.right }
        private var top: Double { 30 + LadderPlot.margin.top }
        private var bottom: Double { 30 + LadderPlot.panelHeight - LadderPlot.margin.bottom }

        private func fraction(_ value: Double, _ range: ClosedRange<Double>, log isLog: Bool) -> Double {
            isLog ? (log(value) - log(range.lowerBound)) / (log(range.upperBound) - log(range.lowerBound))
                : (value - range.lowerBound) / (range.upperBound - range.lowerBound)
        }

        func point(_ x: Double, _ y: Double) -> (Double, Double)? {
            guard x.isFinite, y.isFinite, !logX || x > 0, !logY || y > 0 else { return nil }
            return (left + fraction(x, xRange, log: logX) * (right - left), bottom - fraction(y, yRange, log: logY) * (bottom - top))
        }

        private func coordinates(_ points: [(Double, Double)]) -> String {
            points.compactMap { point($0.0, $0.1) }.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
        }

        func polyline(_ points: [(Double, Double)], stroke: String, dashed: Bool) -> String {
            guard points.count >= 2 else { return "" }
            return "<polyline fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"1.5\"\(dashed ? " stroke-dasharray=\"5,4\"" : "") points=\"\(coordinates(points))\"/>\n"
        }

        func polygon(_ points: [(Double, Double)], fill: String, opacity: Double) -> String {
            guard points.count >= 3 else { return "" }
            return "<polygon fill=\"\(fill)\" fill-opacity=\"\(opacity)\" stroke=\"none\" points=\"\(coordinates(points))\"/>\n"
        }

        func circle(_ x: Double, _ y: Double, radius: Double, fill: String) -> String {
            guard let (cx, cy) = point(x, y) else { return "" }
            return String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%@\" fill-opacity=\"0.7\"/>\n", cx, cy, radius, fill)
        }

        func diamond(_ x: Double, _ y: Double, label: String) -> String {
            guard let (cx, cy) = point(x, y) else { return "" }
            return String(format: "<path d=\"M%.1f %.1fl6 6l-6 6l-6 -6z\" fill=\"#e76f51\"/>\n", cx, cy - 6)
                + String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"#e76f51\">%@</text>\n", cx + 8, cy - 8, label)
        }

        /// The frame, ticks with labels, and axis titles.
        func axes(xLabel: String, yLabel: String) -> String {
            var svg = String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#999\"/>\n", left, top, right - left, bottom - top)
            for value in ticks(xRange, log: logX) {
                guard let (x, _) = point(value, logY ? yRange.lowerBound : yRange.lowerBound) else { continue }
                svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x, top, x, bottom)
                svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>\n", x, bottom + 15, label(value))
            }
            for value in ticks(yRange, log: logY) {
                guard let (_, y) = point(xRange.lowerBound, value) else { continue }
                svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y, right, y)
                svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>\n", left - 5, y + 4, label(value))
            }
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>\n", (left + right) / 2, bottom + 35, escape(xLabel))
            svg += String(format: "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\">%@</text>\n", originX + 18, (top + bottom) / 2, escape(yLabel))
            return svg
        }

        /// Decades on log axes that span more than one; otherwise about six even steps.
        private func ticks(_ range: ClosedRange<Double>, log isLog: Bool) -> [Double] {
            if isLog && log10(range.upperBound / range.lowerBound) >= 1 {
                let first = Int(log10(range.lowerBound).rounded(.up)), last = Int(log10(range.upperBound).rounded(.down))
                let stride = max(1, (last - first + 1) / 8 + 1)
                return Swift.stride(from: first, through: last, by: stride).map { pow(10, Double($0)) }
            }
            let step = niceStep((range.upperBound - range.lowerBound) / 6)
            let first = (range.lowerBound / step).rounded(.up)
            return Swift.stride(from: first * step, through: range.upperBound, by: step).map { $0 }
        }

        private func niceStep(_ raw: Double) -> Double {
            let magnitude = pow(10, log10(raw).rounded(.down))
            for factor in [1.0, 2, 5, 10] where factor * magnitude >= raw { return factor * magnitude }
            return 10 * magnitude
        }

        private func label(_ value: Double) -> String {
            abs(value) >= 1e4 ? String(format: "%.0e", value) : String(format: "%.3g", value)
        }

        private func escape(_ text: String) -> String { LadderPlot.escape(text) }
    }

    static func escape(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
    }

    private func escape(_ text: String) -> String { Self.escape(text) }
}
