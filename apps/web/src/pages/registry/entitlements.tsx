// Your entitlements: the listings you may download (and mog install).
import { Link } from "../../router.js";
import { Empty, Loaded, PageTitle, TableWrap, Time, useAsync } from "../../ui.js";
import { packagePath, registry } from "./shared.js";

export function RegistryEntitlementsPage() {
  const a = useAsync((signal) => registry.entitlements(signal), []);
  return (
    <>
      <PageTitle sub="Packages you have acquired: mog installs them with a token of yours.">
        Entitlements
      </PageTitle>
      <Loaded a={a} what="your entitlements">
        {({ entitlements }) =>
          entitlements.length === 0 ? (
            <Empty>
              <p>
                None yet. <Link to="/registry">Browse the registry</Link> and acquire a package.
              </p>
            </Empty>
          ) : (
            <TableWrap label="Entitlements">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Package</th>
                    <th scope="col">Status</th>
                    <th scope="col">Acquired</th>
                    <th scope="col">Install</th>
                  </tr>
                </thead>
                <tbody>
                  {entitlements.map((e) => (
                    <tr key={e.entitlementId}>
                      <td>
                        <Link to={packagePath(e.name)}>{e.name}</Link>
                      </td>
                      <td>
                        <span
                          className={`badge ${e.status === "active" ? "status-success" : "status-revoked"}`}
                        >
                          {e.status}
                        </span>
                      </td>
                      <td>
                        <Time iso={e.createdAt} />
                      </td>
                      <td>
                        <code>mog install {e.name}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </Loaded>
    </>
  );
}
