import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Flint

// Live statistics in one line: what the machine is doing while the model answers. The
// "Details" button opens the statistics panel (panelOpen), which shows the same StatsModel.
Pane {
    id: root
    padding: 6
    leftPadding: 16
    rightPadding: 16
    property string backend: ""
    property string version: ""
    property StatsModel stats: null
    property alias panelOpen: panelToggle.checked

    readonly property bool live: stats !== null && stats.hasData

    background: Rectangle { color: palette.alternateBase }

    RowLayout {
        anchors.fill: parent
        spacing: 20
        Label { objectName: "backendLabel"; text: root.backend }
        Label {
            objectName: "decodeRateLabel"
            text: qsTr("decode %1 tok/s")
                .arg(root.live ? root.stats.decodeTokensPerSecond.toFixed(1) : "–")
        }
        Label {
            objectName: "acceptRateLabel"
            text: qsTr("accepted %1")
                .arg(root.live && root.stats.speculating
                     ? Math.round(root.stats.acceptanceRate * 100) + "%" : "–")
        }
        Label {
            objectName: "contextLabel"
            text: qsTr("context %1")
                .arg(root.live ? root.stats.contextUsed + " / " + root.stats.contextMax : "–")
        }
        Item { Layout.fillWidth: true }
        ToolButton {
            id: panelToggle
            objectName: "statsPanelToggle"
            text: qsTr("Details")
            checkable: true
        }
        Label {
            text: "Flint " + root.version
            color: palette.placeholderText
            visible: root.width > 760  // the first thing to go when the panel takes the room
        }
    }
}
