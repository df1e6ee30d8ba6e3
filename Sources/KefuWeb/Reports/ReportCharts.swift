import Foundation
import KefuCore

/// Bar charts drawn as SVG by the server (no script, strict CSP): one series, or this period
/// beside the previous one. Every label is escaped; sizes are in viewBox units so the chart
/// scales with the page.
enum ReportCharts {
    struct Bar {
        var label: String
        var value: Int
        var previous: Int?
    }

    static func bars(_ bars: [Bar], title: String, currentLabel: String, previousLabel: String) -> String {
        let width = 640.0
        let height = 220.0
        let left = 36.0
        let bottom = 28.0
        let top = 12.0
        let plotHeight = height - bottom - top
        let maximum = max(1, bars.map { max($0.value, $0.previous ?? 0) }.max() ?? 1)
        let slot = (width - left - 8) / Double(max(1, bars.count))
        let hasPrevious = bars.contains { $0.previous != nil }
        let barWidth = max(2, slot * (hasPrevious ? 0.38 : 0.7))
        var svg = """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="\(HTMLEscaping.escape(title))" xmlns="http://www.w3.org/2000/svg">
            <title>\(HTMLEscaping.escape(title))</title>
            """
        for step in 0...4 {
            let value = Double(maximum) * Double(step) / 4
            let y = top + plotHeight - plotHeight * Double(step) / 4
            svg += #"<line x1="\#(left)" x2="\#(width - 4)" y1="\#(y)" y2="\#(y)" class="grid"/>"#
            svg += #"<text x="\#(left - 4)" y="\#(y + 4)" class="axis" text-anchor="end">\#(Int(value.rounded()))</text>"#
        }
        let labelEvery = max(1, Int((Double(bars.count) / 12).rounded(.up)))
        for (index, bar) in bars.enumerated() {
            let x = left + slot * Double(index) + (slot - barWidth * (hasPrevious ? 2 : 1)) / 2
            if let previous = bar.previous {
                let h = plotHeight * Double(previous) / Double(maximum)
                svg += #"<rect x="\#(x)" y="\#(top + plotHeight - h)" width="\#(barWidth)" height="\#(h)" class="previous"><title>\#(HTMLEscaping.escape("\(bar.label) · \(previousLabel): \(previous)"))</title></rect>"#
            }
            let h = plotHeight * Double(bar.value) / Double(maximum)
            let cx = hasPrevious ? x + barWidth : x
            svg += #"<rect x="\#(cx)" y="\#(top + plotHeight - h)" width="\#(barWidth)" height="\#(h)" class="current"><title>\#(HTMLEscaping.escape("\(bar.label) · \(currentLabel): \(bar.value)"))</title></rect>"#
            if index % labelEvery == 0 {
                svg += #"<text x="\#(left + slot * Double(index) + slot / 2)" y="\#(height - 10)" class="axis" text-anchor="middle">\#(HTMLEscaping.escape(String(bar.label.prefix(14))))</text>"#
            }
        }
        return svg + "</svg>"
    }
}
