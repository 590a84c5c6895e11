// Modal dialogs on the native <dialog>: focus is trapped, Escape cancels.
import { html, useEffect, useRef, useState } from "./html.js";

function useModal() {
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return ref;
}

/**
 * Asks before a destructive action.
 * @param {{ask: {title: string, text: string, confirm: string}, onAnswer: (ok: boolean) => void}} props
 */
export function ConfirmDialog({ ask, onAnswer }) {
  const ref = useModal();
  return html`
    <dialog ref=${ref} class="confirm" aria-labelledby="confirm-h"
      onCancel=${(e) => {
        e.preventDefault();
        onAnswer(false);
      }}>
      <form method="dialog" onSubmit=${(e) => {
        e.preventDefault();
        onAnswer(true);
      }}>
        <h2 id="confirm-h">${ask.title}</h2>
        <p>${ask.text}</p>
        <div class="dialog-actions">
          <button type="button" onClick=${() => onAnswer(false)}>Cancel</button>
          <button type="submit" class="danger" autofocus>${ask.confirm}</button>
        </div>
      </form>
    </dialog>
  `;
}

/**
 * Asks for the API key once; the page keeps it for this tab's session.
 * @param {{refused: boolean, onKey: (key: string) => void}} props
 */
export function KeyDialog({ refused, onKey }) {
  const ref = useModal();
  const [key, setKey] = useState("");
  return html`
    <dialog ref=${ref} class="key" aria-labelledby="key-h"
      onCancel=${(e) => e.preventDefault()}>
      <form onSubmit=${(e) => {
        e.preventDefault();
        if (key.trim()) onKey(key.trim());
      }}>
          <h2 id="key-h">API key</h2>
          <p>This llama-pack asks for a key (<code>serve.api_keys</code> or
            <code>LLAMA_PACK_API_KEY</code>). It is kept for this tab until you close it.</p>
          ${refused ? html`<p class="banner error" role="alert">That key was refused.</p>` : null}
          <label class="field">Key
            <input type="password" name="key" autocomplete="current-password" autofocus
              value=${key} onInput=${(e) => setKey(e.target.value)} />
          </label>
          <div class="dialog-actions"><button type="submit" class="primary">Continue</button></div>
        </form>
    </dialog>
  `;
}
