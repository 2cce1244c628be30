/**
 * jupyter-spark for JupyterLab: ghost-text completions from the server's warm model, cell
 * fixes with a diff preview, diagnostics as you type with quick fixes, commands, settings and
 * a status bar item.
 *
 * Data flows one way: editor -> provider -> websocket (connection.ts) -> server -> chunks back.
 */
import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Dialog, ICommandPalette, Notification, showDialog } from '@jupyterlab/apputils';
import type { ICodeCellModel } from '@jupyterlab/cells';
import { IEditorExtensionRegistry } from '@jupyterlab/codemirror';
import { ICompletionProviderManager } from '@jupyterlab/completer';
import { URLExt } from '@jupyterlab/coreutils';
import { IEditorTracker } from '@jupyterlab/fileeditor';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { CommandRegistry } from '@lumino/commands';
import { SparkConnection } from './connection';
import { DiagnosticsController } from './diagnostics';
import { FixController } from './fix';
import { acceptPart, focusedEditor, FreshLineTrigger, ISuggestionHost, partToAccept } from './freshline';
import type { FixKind, IErrorInfo } from './protocol';
import { SparkInlineProvider } from './provider';
import { DEFAULT_SETTINGS, ISparkSettings, readSettings } from './settings';
import { fetchStatus, onceEach, SparkStatus } from './status';
import { statusTooltip } from './status-text';
import { NotebookSync } from './sync';
import { editorContext } from './target';

const PLUGIN_ID = 'jupyter-spark-assist:plugin';

export const CommandIDs = {
  toggle: 'jupyter-spark:toggle',
  fixCell: 'jupyter-spark:fix-cell',
  modernizeCell: 'jupyter-spark:modernize-cell',
  status: 'jupyter-spark:status',
  acceptWord: 'jupyter-spark:accept-word',
  acceptLine: 'jupyter-spark:accept-line'
} as const;

/**
 * Run our commands' key bindings before the editor sees the key. JupyterLab handles keydown
 * in the bubbling phase, after CodeMirror, which takes Ctrl/Alt+Right (word moves) first;
 * JupyterLab's own Tab accept is dispatched the same way. The bindings are read when the key
 * comes, so shortcuts edited in the settings apply.
 */
function captureKeys(commands: CommandRegistry, ids: string[]): void {
  document.addEventListener(
    'keydown',
    event => {
      if (!(event.target instanceof Element)) {
        return;
      }
      const keystroke = CommandRegistry.keystrokeForKeydownEvent(event);
      for (const binding of commands.keyBindings) {
        if (
          ids.includes(binding.command) &&
          binding.keys.length === 1 &&
          binding.keys[0] === keystroke &&
          event.target.closest(binding.selector) &&
          commands.isEnabled(binding.command, binding.args)
        ) {
          event.preventDefault();
          event.stopPropagation();
          void commands.execute(binding.command, binding.args);
          return;
        }
      }
    },
    true
  );
}

/** The authenticated websocket URL of `spark/ws`, the way JupyterLab's own sockets build it. */
export function socketUrl(settings: ServerConnection.ISettings): string {
  const url = URLExt.join(settings.wsUrl, 'spark', 'ws');
  return settings.appendToken && settings.token
    ? `${url}?token=${encodeURIComponent(settings.token)}`
    : url;
}

/** The error shown in a code cell's outputs, if its last run failed. */
function cellError(model: ICodeCellModel): IErrorInfo | undefined {
  const outputs = model.outputs;
  for (let i = 0; i < outputs.length; i++) {
    const out = outputs.get(i).toJSON() as Record<string, unknown>;
    if (out.output_type === 'error') {
      return {
        ename: String(out.ename ?? ''),
        evalue: String(out.evalue ?? ''),
        traceback: Array.isArray(out.traceback) ? out.traceback.map(String) : []
      };
    }
  }
  return undefined;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Ghost-text completions, cell fixes and diagnostics from a local model held warm.',
  autoStart: true,
  requires: [ICompletionProviderManager, INotebookTracker, ISettingRegistry],
  optional: [IStatusBar, ICommandPalette, ILabShell, IEditorExtensionRegistry, IEditorTracker],
  activate: (
    app: JupyterFrontEnd,
    completions: ICompletionProviderManager,
    notebooks: INotebookTracker,
    registry: ISettingRegistry,
    statusBar: IStatusBar | null,
    palette: ICommandPalette | null,
    _labShell: ILabShell | null,
    editorExtensions: IEditorExtensionRegistry | null,
    fileEditors: IEditorTracker | null
  ) => {
    let settings: ISparkSettings = { ...DEFAULT_SETTINGS };
    let settingObject: ISettingRegistry.ISettings | null = null;

    // One socket for the tab, opened on first use so a tab without notebooks costs nothing.
    let connection: SparkConnection | null = null;
    const sync = new NotebookSync(msg => getConnection().sync(msg));
    const getConnection = (): SparkConnection => {
      if (!connection) {
        connection = new SparkConnection({ url: socketUrl(ServerConnection.makeSettings()) });
        connection.onReconnect = () => sync.reset();
        connection.onUnsolicitedError = (code, message) => {
          if (code === 'unknown_notebook') {
            sync.reset(); // the server restarted or dropped the notebook: resend whole
          } else {
            console.warn(`jupyter-spark: ${code}: ${message}`);
          }
        };
      }
      return connection;
    };

    // The model's state: in the status bar, or where there is none (Notebook 7) in the toolbar
    // of each notebook and file; a problem to act on is notified once.
    const notify = onceEach(message => Notification.error(message, { autoClose: false }));
    const statusViews = new Set<SparkStatus>();
    const newStatusView = () => {
      const view = new SparkStatus(() => void showStatus(view), notify);
      statusViews.add(view);
      view.disposed.connect(() => statusViews.delete(view));
      return view;
    };
    const showStatus = async (view: SparkStatus | undefined) => {
      const status = view ? await view.refresh() : await fetchStatus().catch(() => null);
      await showDialog({
        title: 'Spark model status',
        body: statusTooltip(status, view?.latency ?? null),
        buttons: [Dialog.okButton()]
      });
    };
    if (statusBar) {
      statusBar.registerStatusItem(PLUGIN_ID, {
        item: newStatusView(),
        align: 'right',
        rank: 100
      });
    } else {
      notebooks.widgetAdded.connect((_, panel) => {
        panel.toolbar.addItem('spark-status', newStatusView());
      });
      fileEditors?.widgetAdded.connect((_, widget) => {
        widget.toolbar.addItem('spark-status', newStatusView());
      });
    }

    const provider = new SparkInlineProvider(
      getConnection,
      sync,
      () => settings,
      report => statusViews.forEach(view => view.reportLatency(report))
    );
    completions.registerInlineProvider(provider);

    const suggestions: ISuggestionHost = {
      settings: () => settings,
      invoke: (prefix, confident) => {
        const widget = app.shell.currentWidget;
        if (widget && completions.inline) {
          provider.expectInvoke(prefix, confident);
          completions.inline.invoke(widget.id);
        }
      },
      remainderAt: (prefix, suffix) => provider.remainderAt(prefix, suffix)
    };
    editorExtensions?.addExtension(new FreshLineTrigger(suggestions).factory);

    const fixes = new FixController(getConnection, sync, () => settings);

    const diagnostics = new DiagnosticsController({
      settings: () => settings,
      locate: model => editorContext(model, notebooks, fileEditors, sync, app.shell.currentWidget),
      diagnose: (source, context) => getConnection().diagnose({ source, ...context })
    });
    editorExtensions?.addExtension(diagnostics.factory);
    notebooks.widgetAdded.connect((_, panel) => {
      panel.disposed.connect(() => sync.forget(panel.context.path));
    });
    notebooks.activeCellChanged.connect(() => {
      const panel = notebooks.currentWidget;
      if (panel) {
        provider.warmActiveCell(panel);
      }
    });

    const fixActive = async (kinds: FixKind[]) => {
      const panel = notebooks.currentWidget;
      const cell = panel?.content.activeCell;
      if (!panel || !cell || cell.model.type !== 'code') {
        return;
      }
      const error = kinds.includes('error') ? cellError(cell.model as ICodeCellModel) : undefined;
      await fixes.fixCell(panel, cell, kinds, error);
    };
    const inNotebook = () => notebooks.currentWidget !== null;

    app.commands.addCommand(CommandIDs.toggle, {
      label: 'Spark: Suggestions While Typing',
      isToggled: () => settings.enabled,
      execute: async () => {
        settings = { ...settings, enabled: !settings.enabled };
        await settingObject?.set('enabled', settings.enabled);
      }
    });
    app.commands.addCommand(CommandIDs.fixCell, {
      label: 'Spark: Fix the Active Cell',
      isEnabled: inNotebook,
      execute: () => fixActive(['error', 'diagnostic'])
    });
    app.commands.addCommand(CommandIDs.modernizeCell, {
      label: 'Spark: Modernize the Active Cell',
      isEnabled: inNotebook,
      execute: () => fixActive(['modernize'])
    });
    app.commands.addCommand(CommandIDs.status, {
      label: 'Spark: Show Model Status',
      execute: () => showStatus(statusViews.values().next().value)
    });
    for (const [id, part, label] of [
      [CommandIDs.acceptWord, 'word', 'Spark: Accept the Next Word of the Suggestion'],
      [CommandIDs.acceptLine, 'line', 'Spark: Accept the Next Line of the Suggestion']
    ] as const) {
      app.commands.addCommand(id, {
        label,
        isEnabled: () => {
          const view = focusedEditor();
          return view !== null && partToAccept(view, suggestions, part) !== null;
        },
        execute: () => {
          const view = focusedEditor();
          return view !== null && acceptPart(view, suggestions, part);
        }
      });
    }
    captureKeys(app.commands, [CommandIDs.acceptWord, CommandIDs.acceptLine]);
    if (palette) {
      for (const command of [CommandIDs.toggle, CommandIDs.fixCell, CommandIDs.modernizeCell, CommandIDs.status]) {
        palette.addItem({ command, category: 'Spark' });
      }
    }

    void registry
      .load(PLUGIN_ID)
      .then(s => {
        settingObject = s;
        const apply = () => {
          settings = readSettings(s.composite as Record<string, unknown>);
          app.commands.notifyCommandChanged(CommandIDs.toggle);
          diagnostics.settingsChanged();
        };
        apply();
        s.changed.connect(apply);
      })
      .catch(reason => console.error('jupyter-spark: could not load settings', reason));
  }
};

export default plugin;
