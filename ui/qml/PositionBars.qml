import QtQuick
import QtQuick.Controls

// Per-position acceptance: one bar per draft position, its height the chance that the draft
// there was accepted given the ones before it were (0..1), the position number below it.
Item {
    id: root
    property var values: []
    property color barColor: palette.highlight
    readonly property real labelHeight: 16
    readonly property real barSpacing: 4

    implicitHeight: 90
    implicitWidth: 200

    Rectangle {
        // The baseline, so an all-zero window still shows where the bars would stand.
        anchors.left: parent.left
        anchors.right: parent.right
        y: root.height - root.labelHeight
        height: 1
        color: palette.mid
    }

    Repeater {
        model: root.values.length
        delegate: Item {
            id: slot
            required property int index
            readonly property real value: Math.max(0, Math.min(1, root.values[index]))
            readonly property real slotWidth: root.width / Math.max(1, root.values.length)
            // Room above the tallest bar for its percentage.
            readonly property real barArea: root.height - root.labelHeight - 14
            x: index * slotWidth
            width: slotWidth
            height: root.height

            Rectangle {
                id: bar
                objectName: "positionBar" + slot.index
                anchors.horizontalCenter: parent.horizontalCenter
                width: Math.max(2, slot.slotWidth - root.barSpacing)
                height: slot.value * slot.barArea
                y: root.height - root.labelHeight - height
                color: root.barColor
            }
            Label {
                anchors.horizontalCenter: parent.horizontalCenter
                anchors.bottom: bar.top
                text: Math.round(slot.value * 100) + "%"
                font.pixelSize: 10
            }
            Label {
                anchors.horizontalCenter: parent.horizontalCenter
                y: root.height - root.labelHeight + 2
                text: slot.index + 1
                font.pixelSize: 10
                color: palette.placeholderText
            }
        }
    }
}
