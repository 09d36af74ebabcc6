import QtQuick
import QtQuick.Controls
import Flint

// Where the routed experts are: one row per layer, one column per expert. The colour is the
// tier (host RAM, disk, or mapped without a budget), the strength how much the expert was used
// relative to the most used one (full strength everywhere when uses are not counted).
Canvas {
    id: root
    property int layers: 0
    property int experts: 0
    property var tiers: []  // StatsModel.ExpertTier per cell, row by row
    property var heat: []   // 0..1 per cell, same layout; empty: not counted
    property color hostColor: "#2e9d5b"
    property color diskColor: "#d9822b"
    property color mappedColor: "#3d7cc9"
    property color emptyColor: palette.base

    readonly property real cellWidth: experts > 0 ? width / experts : 0
    readonly property real cellHeight: layers > 0 ? height / layers : 0

    implicitWidth: 256
    implicitHeight: Math.max(24, Math.min(240, layers * 4))

    onTiersChanged: requestPaint()
    onHeatChanged: requestPaint()
    onWidthChanged: requestPaint()
    onHeightChanged: requestPaint()

    function tierColor(tier) {
        return tier === StatsModel.HostTier ? hostColor
             : tier === StatsModel.DiskTier ? diskColor : mappedColor
    }
    // An unused expert still shows its tier, faintly.
    function strength(cell) { return heat.length > cell ? 0.15 + 0.85 * heat[cell] : 1 }

    onPaint: {
        const ctx = getContext("2d")
        ctx.reset()
        ctx.fillStyle = emptyColor
        ctx.fillRect(0, 0, width, height)
        const cells = Math.min(tiers.length, layers * experts)
        for (let cell = 0; cell < cells; ++cell) {
            const layer = Math.floor(cell / experts)
            const expert = cell % experts
            ctx.globalAlpha = strength(cell)
            ctx.fillStyle = tierColor(tiers[cell])
            ctx.fillRect(expert * cellWidth, layer * cellHeight, cellWidth, cellHeight)
        }
        ctx.globalAlpha = 1
    }

    Label {
        objectName: "heatmapPlaceholder"
        anchors.centerIn: parent
        visible: root.tiers.length === 0
        text: qsTr("No expert residency yet")
        color: palette.placeholderText
    }
}
