import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Flint

// First start: this machine, a downloaded V4 model folder, its verdict and the plan in words.
// "Save and load" keeps the plan and opens the model; "Chat with flint-tiny" skips for now.
Dialog {
    id: dialog
    objectName: "setupDialog"
    required property SetupModel setup
    signal modelChosen(string folder)

    title: qsTr("Set up this workstation")
    modal: true
    anchors.centerIn: parent
    width: Math.min(640, parent ? parent.width - 40 : 640)
    closePolicy: Popup.NoAutoClose

    ColumnLayout {
        anchors.fill: parent
        spacing: 10

        Label {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: qsTr("This machine: %1.").arg(dialog.setup.machineText)
        }
        Label {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: qsTr("flint-tiny is ready now. To run DeepSeek-V4-Flash or V4-Pro, give the folder you downloaded it to.")
        }
        RowLayout {
            Layout.fillWidth: true
            TextField {
                objectName: "setupFolder"
                Layout.fillWidth: true
                placeholderText: qsTr("Model folder, e.g. ~/models/DeepSeek-V4-Flash")
                text: dialog.setup.folder
                onEditingFinished: dialog.setup.folder = text
            }
            Button {
                objectName: "setupCheck"
                text: qsTr("Check")
                enabled: !dialog.setup.checking
                onClicked: dialog.setup.check()
            }
        }
        BusyIndicator {
            running: dialog.setup.checking
            visible: running
        }
        Label {
            objectName: "setupVerdict"
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: dialog.setup.verdictText
            visible: text.length > 0
        }
        Label {
            objectName: "setupPlan"
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: dialog.setup.planText
            visible: text.length > 0
        }
        RowLayout {
            Layout.alignment: Qt.AlignRight
            Button {
                objectName: "setupSkip"
                text: qsTr("Chat with flint-tiny for now")
                onClicked: { dialog.setup.skip(); dialog.close() }
            }
            Button {
                objectName: "setupSave"
                text: qsTr("Save and load")
                enabled: dialog.setup.canSave
                highlighted: true
                onClicked: {
                    const folder = dialog.setup.save()
                    if (folder.length > 0) {
                        dialog.close()
                        dialog.modelChosen(folder)
                    }
                }
            }
        }
    }
}
