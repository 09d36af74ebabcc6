import QtQuick
import QtQuick.Controls

// Acceptance of the last verify steps as a filled line chart: x is the step (the newest at
// the right, `capacity` steps across), y the share of that step's drafts accepted (0..1).
Canvas {
    id: root
    property var values: []
    property int capacity: 64
    property color lineColor: palette.highlight
    property color gridColor: palette.mid

    implicitHeight: 90
    implicitWidth: 200

    onValuesChanged: requestPaint()
    onWidthChanged: requestPaint()
    onHeightChanged: requestPaint()
    onLineColorChanged: requestPaint()

    // Pixel position of step i of n (the last one at the right edge) and of acceptance v.
    function xAt(i, n) { return width - (n - 1 - i) * width / Math.max(1, capacity - 1) }
    function yAt(v) { return (1 - Math.max(0, Math.min(1, v))) * (height - 2) + 1 }

    onPaint: {
        const ctx = getContext("2d")
        ctx.reset()
        ctx.strokeStyle = gridColor
        ctx.lineWidth = 1
        for (const level of [0, 0.5, 1]) {
            ctx.beginPath()
            ctx.moveTo(0, yAt(level))
            ctx.lineTo(width, yAt(level))
            ctx.stroke()
        }
        const n = values.length
        if (n === 0)
            return
        ctx.beginPath()
        ctx.moveTo(xAt(0, n), height)
        for (let i = 0; i < n; ++i)
            ctx.lineTo(xAt(i, n), yAt(values[i]))
        ctx.lineTo(xAt(n - 1, n), height)
        ctx.closePath()
        ctx.globalAlpha = 0.3
        ctx.fillStyle = lineColor
        ctx.fill()
        ctx.globalAlpha = 1
        ctx.beginPath()
        ctx.moveTo(xAt(0, n), yAt(values[0]))
        for (let j = 1; j < n; ++j)
            ctx.lineTo(xAt(j, n), yAt(values[j]))
        ctx.strokeStyle = lineColor
        ctx.lineWidth = 2
        ctx.stroke()
    }

    Label {
        objectName: "chartPlaceholder"
        anchors.centerIn: parent
        visible: root.values.length === 0
        text: qsTr("No verify steps yet")
        color: palette.placeholderText
    }
}
