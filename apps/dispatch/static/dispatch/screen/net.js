// The REST API as the screen calls it: same-origin session, CSRF token, problem+json errors as exceptions.

const API = "/api/v1";
const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";

export class ProblemError extends Error {
  constructor(message, status, problem) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

export async function call(method, path, body, headers = {}) {
  const response = await fetch(API + path, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const detail = (data && (data.detail || data.title)) || response.statusText;
    throw new ProblemError(detail, response.status, data);
  }
  return data;
}
