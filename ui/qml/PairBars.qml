import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Two quantities as bars: stacked, one bar split by their shares (time spent drafting vs
// verifying); or not, two bars side by side scaled to the larger (experts per verify pass vs
// per plain step). A quantity of 0 draws no bar.
ColumnLayout {
    id: root
    property real first: 0
    property real second: 0
    property string firstLabel: ""
    property string secondLabel: ""
    property bool stacked: true
    property color firstColor: palette.highlight
    property color secondColor: palette.mid

    readonly property real total: first + second
    readonly property real largest: Math.max(first, second)

    spacing: 2

    Item {
        visible: root.stacked
        Layout.fillWidth: true
        implicitHeight: 10
        Rectangle {
            objectName: "firstShare"
            width: root.total > 0 ? parent.width * root.first / root.total : 0
            height: parent.height
            color: root.firstColor
        }
        Rectangle {
            objectName: "secondShare"
            x: parent.width - width
            width: root.total > 0 ? parent.width * root.second / root.total : 0
            height: parent.height
            color: root.secondColor
        }
    }
    Label {
        visible: root.stacked
        text: root.firstLabel + "  ·  " + root.secondLabel
        font.pixelSize: 11
    }

    // A count, not an array of the values, for a model: a new array on every figure would
    // make the Repeater rebuild its rows each time, on the GUI thread.
    Repeater {
        model: root.stacked ? 0 : 2
        delegate: RowLayout {
            id: pair
            required property int index
            readonly property real value: index === 0 ? root.first : root.second
            Layout.fillWidth: true
            Item {
                Layout.fillWidth: true
                implicitHeight: 10
                Rectangle {
                    objectName: pair.index === 0 ? "firstBar" : "secondBar"
                    width: root.largest > 0 ? parent.width * pair.value / root.largest : 0
                    height: parent.height
                    color: pair.index === 0 ? root.firstColor : root.secondColor
                }
            }
            Label {
                text: pair.index === 0 ? root.firstLabel : root.secondLabel
                font.pixelSize: 11
            }
        }
    }
}
