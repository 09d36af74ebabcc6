import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import Flint

// The model: its folder (checked as it is typed, or picked with "Browse…"), the memory plan on
// this machine, where it computes (CPU, or the GPU when one is usable), the host budget for the
// routed experts, and the load with its phase and a cancel button; or a remote OpenAI-compatible
// endpoint (URL, API key, model name) with a connection test in words.
Dialog {
    id: panel
    objectName: "modelPanel"
    required property ChatController controller

    title: qsTr("Model")
    modal: true
    anchors.centerIn: parent
    width: Math.min(620, parent ? parent.width - 40 : 620)
    standardButtons: Dialog.Close

    readonly property bool loading: controller.modelStatus === "loading"
    // The panel's model by a name a ComboBox's own `model` property cannot shadow.
    readonly property ModelPanelModel entry: model

    ModelPanelModel {
        id: model
        objectName: "modelPanelModel"
        chat: panel.controller
    }

    // Qt's own folder picker where the desktop offers none; it opens in the panel's window.
    // What it chooses is a file:// URL, which the model turns into the folder. A new one each
    // time: Qt 6.4 applies currentFolder on a picker's first opening only.
    Component {
        id: folderDialogComponent
        FolderDialog {
            objectName: "modelFolderDialog"
            title: qsTr("Choose the folder of a DeepSeek-V4 model")
            parentWindow: folderField.Window.window
            onAccepted: {
                model.chooseFolder(selectedFolder)
                destroy()
            }
            onRejected: destroy()
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 10

        Label {
            objectName: "currentModel"
            text: panel.controller.modelStatus === "ready" ? qsTr("In use: %1").arg(panel.controller.modelName)
                                                     : qsTr("No model is in use.")
        }
        Label {
            objectName: "computeText"
            Layout.fillWidth: true
            visible: text.length > 0
            text: model.computeText
            wrapMode: Text.Wrap
        }

        RowLayout {
            RadioButton {
                objectName: "folderEntry"
                text: qsTr("Model folder")
                checked: !model.remote
                onToggled: model.remote = !checked
            }
            RadioButton {
                objectName: "remoteEntry"
                text: qsTr("Remote endpoint")
                checked: model.remote
                onToggled: model.remote = checked
            }
        }

        GridLayout {
            Layout.fillWidth: true
            visible: model.remote
            columns: 2
            Label { text: qsTr("URL") }
            TextField {
                objectName: "remoteUrlField"
                Layout.fillWidth: true
                placeholderText: "http://gpu-box:8000/v1"
                text: model.remoteUrl
                selectByMouse: true
                onEditingFinished: model.remoteUrl = text
            }
            Label { text: qsTr("API key") }
            TextField {
                objectName: "remoteKeyField"
                Layout.fillWidth: true
                placeholderText: qsTr("none")
                echoMode: TextInput.Password
                text: model.remoteApiKey
                onEditingFinished: model.remoteApiKey = text
            }
            Label { text: qsTr("Model") }
            ComboBox {
                objectName: "remoteModelBox"
                Layout.fillWidth: true
                editable: true
                model: panel.entry.remoteModels
                editText: panel.entry.remoteModel
                onAccepted: panel.entry.remoteModel = editText
                onActivated: panel.entry.remoteModel = currentText
            }
            Button {
                objectName: "testConnectionButton"
                text: qsTr("Test connection")
                enabled: !model.testingConnection
                onClicked: model.testConnection()
            }
            Button {
                objectName: "useRemoteButton"
                text: qsTr("Use this endpoint")
                enabled: model.connectionOk && !panel.loading
                onClicked: model.useRemote()
            }
            Label {
                objectName: "connectionText"
                Layout.columnSpan: 2
                Layout.fillWidth: true
                visible: text.length > 0
                text: model.connectionText
                color: model.connectionOk || model.testingConnection ? palette.text : "firebrick"
                wrapMode: Text.Wrap
            }
            Label {
                Layout.columnSpan: 2
                Layout.fillWidth: true
                text: qsTr("The key is kept in Flint's local database as plain text.")
                color: palette.placeholderText
                wrapMode: Text.Wrap
            }
        }

        Label { text: qsTr("Model folder"); visible: !model.remote }
        RowLayout {
            Layout.fillWidth: true
            visible: !model.remote
            TextField {
                id: folderField
                objectName: "folderField"
                Layout.fillWidth: true
                text: model.folder
                selectByMouse: true
                onEditingFinished: model.folder = text
            }
            Button {
                objectName: "browseFolderButton"
                text: qsTr("Browse…")
                onClicked: {
                    const picker = folderDialogComponent.createObject(panel, {
                        currentFolder: model.browseStart()
                    })
                    picker.open()
                }
            }
            Button {
                objectName: "loadButton"
                text: qsTr("Load")
                enabled: model.valid && !panel.loading
                onClicked: model.load()
            }
        }

        Label {
            objectName: "folderError"
            Layout.fillWidth: true
            visible: text.length > 0 && !model.remote
            text: model.error
            color: "firebrick"
            wrapMode: Text.Wrap
        }

        RowLayout {
            Layout.fillWidth: true
            visible: panel.loading
            ProgressBar {
                objectName: "loadProgress"
                Layout.fillWidth: true
                indeterminate: panel.controller.loadFraction < 0
                value: Math.max(0, panel.controller.loadFraction)
            }
            Button {
                objectName: "cancelLoadButton"
                text: qsTr("Cancel")
                onClicked: model.cancel()
            }
        }
        Label {
            objectName: "loadPhase"
            visible: panel.loading
            text: panel.controller.loadPhase
        }

        Label {
            objectName: "planText"
            Layout.fillWidth: true
            visible: model.valid && !model.remote
            text: model.planText
            wrapMode: Text.Wrap
        }

        RowLayout {
            Layout.fillWidth: true
            visible: model.valid && !model.remote
            Label { text: qsTr("Compute on") }
            RadioButton {
                objectName: "computeCpu"
                text: qsTr("CPU")
                checked: !model.computeOnGpu
                enabled: !panel.loading
                onToggled: if (checked) model.chooseCompute(false)
            }
            RadioButton {
                objectName: "computeGpu"
                text: qsTr("GPU (opt-in)")
                checked: model.computeOnGpu
                enabled: model.gpuUsable && !panel.loading
                onToggled: if (checked) model.chooseCompute(true)
                ToolTip.visible: hovered
                ToolTip.text: model.gpuNote
            }
        }
        Label {
            objectName: "gpuNote"
            Layout.fillWidth: true
            visible: model.valid && !model.remote
            text: model.gpuNote
            color: palette.placeholderText
            wrapMode: Text.Wrap
        }

        Label {
            visible: model.valid && !model.remote
            text: qsTr("Routed experts kept in RAM")
        }
        RowLayout {
            Layout.fillWidth: true
            visible: model.valid && !model.remote
            Slider {
                id: budget
                objectName: "budgetSlider"
                Layout.fillWidth: true
                from: 0
                to: model.routedExpertBytes
                value: panel.controller.hostExpertBudget > 0 ? panel.controller.hostExpertBudget
                                                       : model.plannedExpertBytes
            }
            Label { text: model.formatBytes(budget.value) }
            Button {
                objectName: "applyBudgetButton"
                text: qsTr("Apply and reload")
                enabled: !panel.loading
                onClicked: model.applyBudget(budget.value)
            }
            Button {
                objectName: "automaticBudgetButton"
                text: qsTr("Automatic")
                enabled: !panel.loading && panel.controller.hostExpertBudget > 0
                onClicked: model.applyBudget(0)
            }
        }

        // The loaded model for other programs: flint-cli serve's OpenAI-compatible protocol on
        // this machine only, taking turns with the chat.
        RowLayout {
            Layout.fillWidth: true
            Switch {
                id: serveSwitch
                objectName: "localServerSwitch"
                text: qsTr("Serve this model to other programs on port")
                checked: panel.controller.serverUrl !== ""
                onToggled: panel.controller.setServing(checked, servePort.value, "")
            }
            SpinBox {
                id: servePort
                objectName: "localServerPort"
                from: 1024
                to: 65535
                value: 8080
                editable: true
                enabled: !serveSwitch.checked
            }
        }
        Label {
            objectName: "localServerStatus"
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            visible: text !== ""
            text: panel.controller.serverError !== "" ? panel.controller.serverError
                  : panel.controller.serverUrl !== ""
                    ? qsTr("Other programs reach it at %1 (chat/completions, models, metrics).")
                          .arg(panel.controller.serverUrl)
                    : ""
        }
    }
}
