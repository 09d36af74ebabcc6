import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Non-think / Think High / Think Max. `mode` is the id the engine and the store use. With
// Think Max chosen on a model whose context is below what DeepSeek recommends for it, a short
// notice beside the selector says so; the mode is used all the same.
FocusScope {
    id: root
    readonly property var modes: ["non-think", "high", "max"]
    readonly property string mode: modes[combo.currentIndex]
    property alias count: combo.count
    property alias currentText: combo.currentText
    // From a ContextMeter: the model's maximum context, whether it is short for Think Max and
    // the context recommended for it.
    property int contextMax: 0
    property bool contextShortForMax: false
    property int recommendedMaxContext: 0
    signal modeChosen(string mode)

    function selectMode(id) {
        const i = modes.indexOf(id)
        if (i >= 0)
            combo.currentIndex = i
    }
    function textAt(index) { return combo.textAt(index) }
    function thousands(tokens) { return Math.round(tokens / 1024) + "K" }

    implicitWidth: row.implicitWidth
    implicitHeight: row.implicitHeight

    RowLayout {
        id: row
        anchors.fill: parent
        spacing: 8

        Label {
            objectName: "maxContextNotice"
            visible: root.mode === "max" && root.contextShortForMax
            text: qsTr("Think Max works best with %1 tokens of context; this model has %2.")
                      .arg(root.thousands(root.recommendedMaxContext)).arg(root.thousands(root.contextMax))
            color: "darkorange"
            elide: Text.ElideRight
            Layout.maximumWidth: 420
        }

        ComboBox {
            id: combo
            objectName: "modeCombo"
            focus: true
            implicitWidth: 160
            model: [qsTr("Non-think"), qsTr("Think High"), qsTr("Think Max")]
            onActivated: root.modeChosen(root.mode)
        }
    }
}
