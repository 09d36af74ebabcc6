import QtQuick
import QtTest
import Flint

// The statistics panel's pictures from synthetic values: bar heights follow per-position
// acceptance, the chart paints its line where the values put it, the pair bars split by
// share or scale to the larger, the expert heatmap colours each cell by tier and shades it by
// use, and the panel without figures says when they come.
// (The panel fed by a StatsModel with synthetic engine Stats: tests/ui/test_stats_model.cpp.)
TestCase {
    id: testCase
    name: "StatsPanel"
    width: 400
    height: 400
    visible: true  // TestCase hides itself by default; the canvas paints only when shown
    when: windowShown

    Component { id: barsComponent; PositionBars { width: 200; height: 100 } }
    Component { id: chartComponent; AcceptanceChart { width: 128; height: 100; capacity: 64 } }
    Component { id: pairComponent; PairBars { width: 200 } }
    Component { id: panelComponent; StatsPanel { width: 320; height: 400 } }
    Component { id: heatmapComponent; ExpertHeatmap { width: 200; height: 100 } }

    function test_barHeightsFollowAcceptance() {
        const bars = createTemporaryObject(barsComponent, testCase, { values: [1.0, 0.5, 0.0] })
        const full = findChild(bars, "positionBar0")
        const half = findChild(bars, "positionBar1")
        const none = findChild(bars, "positionBar2")
        verify(full && half && none)
        verify(full.height > 40)
        fuzzyCompare(half.height, full.height / 2, 0.5)
        compare(none.height, 0)
        verify(full.mapToItem(bars, full.width, 0).x <= half.mapToItem(bars, 0, 0).x,
               "bars stand side by side")
        verify(!findChild(bars, "positionBar3"))

        bars.values = [0.25, 0.5]
        fuzzyCompare(findChild(bars, "positionBar0").height, full.height / 4, 0.5)
        tryVerify(() => !findChild(bars, "positionBar2"))
    }

    function test_barsClampOutOfRangeValues() {
        const bars = createTemporaryObject(barsComponent, testCase, { values: [2.0, -1.0] })
        const top = findChild(bars, "positionBar0")
        verify(top.y >= 0, "a value above 1 stays inside the area")
        compare(findChild(bars, "positionBar1").height, 0)
    }

    function filled(value) {
        const values = []
        for (let i = 0; i < 64; ++i) values.push(value)
        return values
    }

    // Low acceptance fills only the bottom of the chart; high acceptance fills it to the top.
    function test_chartPaintsWhereTheValuesAre() {
        const chart = createTemporaryObject(chartComponent, testCase)
        chart.values = filled(0.2)
        let image = null
        tryVerify(() => {
            image = grabImage(chart)
            return !Qt.colorEqual(image.pixel(100, 10), image.pixel(100, 90))
        }, 3000, "the chart paints its area under the line")
        const emptyTop = image.pixel(100, 10)
        const filledBottom = image.pixel(100, 90)

        chart.values = filled(0.95)
        tryVerify(() => {
            image = grabImage(chart)
            return Qt.colorEqual(image.pixel(100, 10), filledBottom)
        }, 3000, "the area reaches the top for high acceptance")
        verify(!Qt.colorEqual(image.pixel(100, 10), emptyTop))
    }

    function test_chartMapsStepsAndValuesToPixels() {
        const chart = createTemporaryObject(chartComponent, testCase, { values: [] })
        verify(findChild(chart, "chartPlaceholder").visible)
        compare(chart.xAt(63, 64), chart.width, "the newest step at the right edge")
        compare(chart.xAt(0, 64), 0, "a full history spans the width")
        compare(chart.xAt(0, 2), chart.width - chart.width / 63, "a short one grows from the right")
        compare(chart.yAt(1), 1)
        compare(chart.yAt(0), chart.height - 1)
        chart.values = [0.5]
        verify(!findChild(chart, "chartPlaceholder").visible)
    }

    function test_pairBarsSplitByShare() {
        const pair = createTemporaryObject(pairComponent, testCase, { first: 1, second: 3 })
        const first = findChild(pair, "firstShare")
        const second = findChild(pair, "secondShare")
        fuzzyCompare(first.width, 50, 0.5)
        fuzzyCompare(second.width, 150, 0.5)
        fuzzyCompare(second.x, 50, 0.5)
    }

    function test_pairBarsCompareToTheLarger() {
        const pair = createTemporaryObject(pairComponent, testCase,
                                           { first: 60, second: 20, stacked: false })
        let first = null
        let second = null
        tryVerify(() => {
            first = findChild(pair, "firstBar")
            second = findChild(pair, "secondBar")
            return first !== null && second !== null && first.width > 0
        })
        fuzzyCompare(second.width, first.width / 3, 0.5)
    }

    // Two layers of two experts: a cell's centre is at (50 or 150, 25 or 75).
    function test_heatmapColoursTiersAndShadesUse() {
        const map = createTemporaryObject(heatmapComponent, testCase, { layers: 2, experts: 2 })
        verify(findChild(map, "heatmapPlaceholder").visible)
        map.tiers = [StatsModel.HostTier, StatsModel.HostTier, StatsModel.DiskTier, StatsModel.MappedTier]
        map.heat = [1.0, 0.0, 1.0, 1.0]
        verify(!findChild(map, "heatmapPlaceholder").visible)
        let image = null
        tryVerify(() => {
            image = grabImage(map)
            return Qt.colorEqual(image.pixel(50, 25), map.hostColor)
        }, 3000, "the most used host expert has the full host colour")
        verify(Qt.colorEqual(image.pixel(50, 75), map.diskColor))
        verify(Qt.colorEqual(image.pixel(150, 75), map.mappedColor))
        const unused = image.pixel(150, 25)
        verify(!Qt.colorEqual(unused, map.hostColor), "an unused expert is faint")
        verify(!Qt.colorEqual(unused, map.emptyColor), "but still shows its tier")

        map.heat = []  // uses not counted: every cell at full strength
        tryVerify(() => Qt.colorEqual(grabImage(map).pixel(150, 25), map.hostColor), 3000)
    }

    function test_panelWithoutFiguresShowsThePlaceholder() {
        const panel = createTemporaryObject(panelComponent, testCase)
        verify(findChild(panel, "statsPlaceholder").visible)
        verify(!findChild(panel, "speculationSection").visible)
        compare(findChild(panel, "decodeRate").text, "– tok/s")
        verify(!findChild(panel, "expertSection").visible, "no expert figures before a reply")
    }
}
