import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Live statistics: what the machine is doing while the model answers.
Pane {
    id: root
    padding: 6
    leftPadding: 16
    rightPadding: 16
    property string backend: ""
    property string version: ""
    property string decodeRate: "–"
    property string acceptRate: "–"
    property string context: "–"

    background: Rectangle { color: palette.alternateBase }

    RowLayout {
        anchors.fill: parent
        spacing: 24
        Label { objectName: "backendLabel"; text: root.backend }
        Label { objectName: "decodeRateLabel"; text: qsTr("decode %1 tok/s").arg(root.decodeRate) }
        Label { objectName: "acceptRateLabel"; text: qsTr("accepted %1").arg(root.acceptRate) }
        Label { objectName: "contextLabel"; text: qsTr("context %1").arg(root.context) }
        Item { Layout.fillWidth: true }
        Label { text: "Flint " + root.version; color: palette.placeholderText }
    }
}
